"""CloudHSM CLI (`cloudhsm-cli`, Client SDK 5) behind `--backend cloudhsm`: the noun-verb
commands, once hsmshell's policy allowed them, go to the real tool in interactive mode, and
its JSON `{"error_code", "data"}` is read back into the same Result the emulator gives.

Passwords reach the tool only through its terminal: the command line never has --password;
the tool asks `Enter password:` (and `Confirm password:`) and the terminal answers. A tool
that hangs, dies or prints something that is not its JSON is `hsm-unavailable` (exit 5) with
the tool's words. Reference: AWS's CloudHSM CLI pages
"""

from __future__ import annotations

import json

from hsmshell.backends.cloudhsm.terminal import Exchange, ToolTerminal, prompt_pattern
from hsmshell.backends.result import Result
from hsmshell.errors import (BackendUnavailable, HsmError, InvalidArgument, KeyAccessDenied,
                             LoginFailed, NoSuchKey, NoSuchUser, NotLoggedIn, PermissionDenied,
                             QuorumRequired, UserLocked)
from hsmshell.model.sdk5 import LOGIN_ROLES, parse_key_reference
from hsmshell.parse.lexer import quote, tokenize
from hsmshell.policy.engine import Principal
from hsmshell.model.users import UserType

CLI_PROMPT = prompt_pattern(r"aws-cloudhsm > ", r"[A-Za-z0-9_.-]+@[A-Za-z0-9_-]+ > ")
SECRET_OPTIONS = ("--password",)
# How each command's data is shown (render/sdk5_views.py), as the emulator's handlers say
# The tool's error words -> hsmshell's errors (AWS's words; then the words
# hsmshell's own emulator uses, so both backends give one reference for one refusal)
ERRORS = (("Quorum approval is required", QuorumRequired, "quorum-required"),
          ("Quorum Failed", QuorumRequired, "quorum-required"),
          ("Signature verification failed", HsmError, "signature-invalid"),
          ("Cluster has already been activated", HsmError, "already-activated"),
          ("Key selection criteria matched 0 keys", NoSuchKey, "no-such-key"),
          ("Key selection criteria matched", HsmError, "ambiguous-key-filter"),
          ("User already exists", HsmError, "user-exists"),
          ("RET_USER_LOGIN_FAILURE", LoginFailed, "login-failed"),
          ("is locked", UserLocked, "user-locked"),
          ("doesn't exist", NoSuchUser, "no-such-user"),
          ("No user is logged in", NotLoggedIn, "not-logged-in"),
          ("not authorized", PermissionDenied, "permission-denied"),
          ("Key Access is denied", KeyAccessDenied, "key-access-denied"),
          ("Invalid quorum value provided", HsmError, "invalid-quorum-value"))


def start(settings) -> ToolTerminal:
    tool = ToolTerminal("cloudhsm-cli", (*settings.cli, "interactive"), CLI_PROMPT, settings.timeout,
                        settings.environ, settings.transcript, quit_command="quit")
    tool.start()
    return tool


def command_line(invocation) -> str:
    """The command as the tool takes it, without the password (the tool asks for it)."""
    words, skip = [], False
    for word in tokenize(invocation.text):
        if skip:
            skip = False
            continue
        name = word.split("=", 1)[0]
        if name in SECRET_OPTIONS:
            skip = "=" not in word
            continue
        words.append(quote(word))
    return " ".join(words)


def execute(backend, invocation, secrets: dict) -> Result:
    exchange = Exchange(confirmed=True, secret=secrets.get("password"))
    text = backend.cli().run(command_line(invocation), exchange)
    code, data = reply(text)
    name = invocation.spec.name
    if code != 0:
        raise error_of(str(data))
    # shown as the emulator's answer is: the spec's main view (CommandSpec.views)
    result = Result(name, invocation.spec.views[0], data=_handles(data), wire=data)
    if name == "login":
        backend.principal = Principal(invocation.args["username"], _user_type(backend, invocation), 0)
    elif name == "logout":
        backend.principal = None
    return result


def reply(text: str) -> tuple[int, object]:
    """(error_code, data) of the tool's answer; its usage errors are invalid-argument, and
    anything else but its JSON is hsm-unavailable with its words."""
    start = text.find("{")
    if start < 0:
        words = text.strip()
        if words.startswith("error:"):
            raise InvalidArgument(f"cloudhsm-cli: {words.splitlines()[0][:300]}")
        raise BackendUnavailable(f"cloudhsm-cli printed something unexpected: {words[:300] or '(nothing)'}",
                                 hint="docs/real-tools.md: the cloudhsm-cli settings")
    try:
        document, _ = json.JSONDecoder().raw_decode(text[start:])
        code = int(document["error_code"])
        data = document["data"]
    except (ValueError, KeyError, TypeError):
        raise BackendUnavailable(f"cloudhsm-cli printed something unexpected: {text.strip()[:300]}",
                                 hint="it should print {\"error_code\": ..., \"data\": ...}") from None
    return code, data


def error_of(message: str):
    for words, kind, reference in ERRORS:
        if words in message:
            return kind(message, reference=reference) if kind is HsmError else kind(message)
    return HsmError(message, reference="hsm-error")


def _user_type(backend, invocation) -> str:
    """The SDK 3 user type of a login: crypto-user is CU; admin is CO, or PRECO before
    activation (the tool's user list says which)."""
    if invocation.args["role"] == "crypto-user":
        return UserType.CU
    try:
        code, data = reply(backend.cli().run("user list", Exchange()))
        users = {u["username"]: u["role"] for u in data["users"]} if code == 0 else {}
    except (BackendUnavailable, InvalidArgument, KeyError, TypeError):
        users = {}
    return UserType.PRECO if users.get(invocation.args["username"]) == "unactivated-admin" else LOGIN_ROLES["admin"][0]


def _handles(data) -> dict:
    """The SDK 3 view audit replay and the logs read: the key handles a command named."""
    if not isinstance(data, dict):
        return {}
    found = {}
    for name, key in (("key_handle", data.get("key")), ("public_key_handle", data.get("public_key")),
                      ("private_key_handle", data.get("private_key"))):
        if isinstance(key, dict) and isinstance(key.get("key-reference"), str):
            found[name] = parse_key_reference(key["key-reference"])
    if isinstance(data.get("key-reference"), str):
        found["key_handle"] = parse_key_reference(data["key-reference"])
    return found


def quorum_value(backend, service_id: int) -> int | None:
    """M of user (3) / quorum (4) / cluster (7) from the tool, when a CloudHSM CLI login is
    active (an hsm1.medium tool lists no cluster value: 1, off)."""
    word = {3: "user", 4: "quorum", 7: "cluster"}.get(service_id)
    if word is None or not backend.cli_alive():
        return None
    try:
        code, data = reply(backend.cli().run("quorum token-sign list-quorum-values", Exchange()))
    except (BackendUnavailable, InvalidArgument):
        return None
    return int(data.get(word, 1)) if code == 0 and isinstance(data, dict) else None
