"""Resolve the secrets of an allowed invocation: literal, -hpswd (hidden prompt), @env:VAR,
@file:PATH, @keyring / @keyring:NAME. The values live only in the returned dict; messages
name the source, never the value."""

from __future__ import annotations

from pathlib import Path

from hsmshell import keyring_store
from hsmshell.environment import Environment
from hsmshell.errors import InvalidArgument
from hsmshell.parse.binder import Invocation
from hsmshell.parse.secrets import SecretRef

MAX_SECRET_FILE = 4096


def resolve_secrets(invocation: Invocation, env: Environment) -> dict[str, str]:
    values = {}
    for name, ref in invocation.secrets.items():
        arg = next(a for a in invocation.spec.args if a.name == name)
        values[name] = _resolve(ref, arg, invocation, env)
        if arg.check is not None:          # before the CAUTION question, before the HSM
            arg.check(values[name])
    return values


def _resolve(ref: SecretRef, arg, invocation: Invocation, env: Environment) -> str:
    if ref.source == "literal":
        return ref.literal
    if ref.source == "prompt":
        first = env.ask_secret(arg.prompt)
        if arg.check is not None:
            arg.check(first)                   # a bad password is refused before it is asked again
        if arg.confirm_prompt and env.ask_secret(arg.confirm_prompt) != first:
            raise InvalidArgument("the two passwords do not match")
        return first
    if ref.source == "env":
        if ref.ref not in env.environ:
            raise InvalidArgument(f"environment variable {ref.ref} is not set")
        return env.environ[ref.ref]
    if ref.source == "file":
        return _read_secret_file(Path(ref.ref).expanduser())
    if ref.source == "keyring":
        entry = ref.ref or str(invocation.args.get("user_name") or "")
        return keyring_get(env, entry)
    raise InvalidArgument(f"unknown secret source {ref.source}")


def _read_secret_file(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise InvalidArgument(f"cannot read secret file {path}: {exc.strerror}") from None
    if len(data) > MAX_SECRET_FILE:
        raise InvalidArgument(f"secret file {path} is larger than {MAX_SECRET_FILE} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(f"secret file {path} is not UTF-8 text") from None
    return text.rstrip("\r\n")


def keyring_service(env: Environment) -> str:
    return keyring_store.service_name(env.cluster)


def keyring_get(env: Environment, entry: str) -> str:
    if not entry:
        raise InvalidArgument("@keyring needs an entry name here: @keyring:NAME")
    value = keyring_store.get_password(env.cluster, entry,
                                       keyring_store.insecure_allowed(env.environ))
    if value is None:
        raise InvalidArgument(f"no password for '{entry}' in the keyring ({keyring_service(env)})",
                              hint=f"store one: hsmshell credentials set {entry}")
    return value


def resolve_option_secret(token: str, env: Environment, prompt: str) -> str:
    """A secret given to a subcommand option (e.g. `--ca-key-passphrase`): @env:VAR, @file:PATH,
    @keyring:NAME or -hpswd, never a literal, since a process's arguments are visible to others."""
    from hsmshell.commands.spec import Arg
    from hsmshell.parse.secrets import secret_from_token

    ref = secret_from_token(token)
    if ref.source == "literal" or (ref.source == "keyring" and not ref.ref):
        raise InvalidArgument("this secret cannot be given on the command line",
                              hint="use @env:VAR, @file:PATH, @keyring:NAME or -hpswd (asks for it)")
    return _resolve(ref, Arg("secret", "secret", prompt=prompt), None, env)
