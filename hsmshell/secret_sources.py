"""Resolve the secrets of an allowed invocation: literal, -hpswd (hidden prompt), @env:VAR,
@file:PATH, @keyring / @keyring:NAME. The values live only in the returned dict; messages
name the source, never the value."""

from __future__ import annotations

from pathlib import Path

from hsmshell.environment import Environment
from hsmshell.errors import HsmshellError, InvalidArgument
from hsmshell.parse.binder import Invocation
from hsmshell.parse.secrets import SecretRef

MAX_SECRET_FILE = 4096
KEYRING_SERVICE = "hsmshell:{cluster}"


def resolve_secrets(invocation: Invocation, env: Environment) -> dict[str, str]:
    values = {}
    for name, ref in invocation.secrets.items():
        arg = next(a for a in invocation.spec.args if a.name == name)
        values[name] = _resolve(ref, arg, invocation, env)
    return values


def _resolve(ref: SecretRef, arg, invocation: Invocation, env: Environment) -> str:
    if ref.source == "literal":
        return ref.literal
    if ref.source == "prompt":
        first = env.ask_secret(arg.prompt)
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
    return KEYRING_SERVICE.format(cluster=env.cluster)


def keyring_get(env: Environment, entry: str) -> str:
    if not entry:
        raise InvalidArgument("@keyring needs an entry name here: @keyring:NAME")
    keyring = _keyring()
    try:
        value = keyring.get_password(keyring_service(env), entry)
    except Exception as exc:            # backends raise their own types; never show the value
        raise _no_keyring(f"the keyring could not be read ({type(exc).__name__})") from None
    if value is None:
        raise InvalidArgument(f"no password for '{entry}' in the keyring ({keyring_service(env)})",
                              hint=f"store one: hsmshell credentials set {entry}")
    return value


def _keyring():
    import keyring
    from keyring.backends import fail
    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise _no_keyring("no usable OS keyring backend is available")
    return keyring


def _no_keyring(message: str) -> HsmshellError:
    return InvalidArgument(message, reference="keyring-unavailable",
                           hint="install and configure a keyring backend (for example "
                                "keyrings.alt, with PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring), "
                                "or use @env:VAR / @file:PATH")
