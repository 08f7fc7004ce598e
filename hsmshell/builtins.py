"""Shell-local commands (help, whoami, status, quit). Like every handler they return data;
render/ shows it."""

from __future__ import annotations

from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument
from hsmshell.model.opcodes import error_string
from hsmshell.policy.engine import permission


def run_builtin(shell, invocation) -> Result:
    return HANDLERS[invocation.spec.name](shell, invocation.args)


def _help(shell, args: dict) -> Result:
    principal = shell.backend.principal
    topic = args.get("topic")
    specs = sorted(shell.table, key=lambda s: s.name.lower())
    if topic:
        words = tuple(topic.split())
        spec = shell.table.phrases.get(words)
        family = [s for s in specs if s.action.split(".")[0] == topic.lower()]
        if spec is None and shell.table.phrase_children(words):      # a group: `help key`
            specs = [s for s in specs if tuple(s.name.split()[:len(words)]) == words
                     or s in family]
        elif spec is None and family and topic not in shell.table:     # a topic: `help quorum`
            specs = family
        else:
            return _help_for(shell, spec or shell.table.lookup(topic), principal)
    rows = [{"command": spec.name, "summary": spec.summary, "tool": spec.tool,
             "action": spec.action, "allowed": shell.allows(spec)} for spec in specs if shell.serves(spec)]
    return Result("help", "help", data={"commands": rows})


def _help_for(shell, spec, principal) -> Result:
    action = spec.action_for({}, principal)
    allowed = permission(shell.policy, principal, spec)      # as Tab and the policy say
    data = {"command": spec.name, "summary": spec.summary, "syntax": spec.usage(),
            "details": spec.details, "action": action, "tool": spec.tool,
            "allowed": allowed.allowed, "allowed_for_you": allowed.summary(),
            "forms": list(allowed.forms) if len(allowed.forms) > 1 else [],
            "roles": shell.policy.roles_allowing(action)}
    # every argument with what its values mean (`-t 31` is AES), as CloudHSM CLI's help does
    asked = spec.tool == "sdk5"              # CloudHSM CLI asks for a password left out
    data["options"] = [{"option": _spelling(arg), "required": arg.required and not (asked and arg.secret),
                        "help": arg.help} for arg in spec.args if arg.help]
    return Result("help", "help", data=data)


def _spelling(arg) -> str:
    value = "" if arg.is_switch else f"<{arg.name.upper()}>" if arg.flags and arg.flags[0].startswith("--") \
        else f"<{arg.name.replace('_', '-')}>"
    return ", ".join(arg.flags) + (" " if arg.flags and value else "") + value


def _whoami(shell, args: dict) -> Result:
    p = shell.backend.principal
    if p is None:
        return Result("whoami", "whoami", data={"message": "not logged in", "user": None,
                                                "cluster": shell.env.cluster})
    return Result("whoami", "whoami", data={"user": p.name, "user_type": p.user_type,
                                            "user_id": p.user_id, "cluster": shell.env.cluster})


def _status(shell, args: dict) -> Result:
    summary = shell.backend.summary()
    p = shell.backend.principal
    summary["login"] = p.label if p else None
    summary["roles_dir"] = shell.policy.directory
    return Result("status", "status", data=summary)


def _error_string(shell, args: dict) -> Result:
    """key_mgmt_util's Error2String: `-r 0xdb` -> `Error Code db maps to HSM Error: ...`."""
    token = args["response_code"]
    try:
        if not token.lower().startswith("0x"):
            raise ValueError
        code = int(token, 16)
    except ValueError:
        raise InvalidArgument(f"the response code must be hex with its 0x prefix, not '{token[:16]}'",
                              hint="Error2String -r 0xdb") from None
    text = error_string(code)
    if text is None:
        raise InvalidArgument(f"no text is known for response code 0x{code:x}",
                              hint="docs/keys.md lists the codes hsmshell knows")
    return Result("Error2String", "error_string", data={
        "code": code, "text": text, "message": f"Error Code {code:x} maps to {text}"})


def _quit(shell, args: dict) -> Result:
    shell.quitting = True
    return Result("quit", "message", data={"message": "disconnecting from servers, please wait..."})


def _exit(shell, args: dict) -> Result:
    """CMU's `exit`: leaves server mode; in global mode it quits, as `quit` does."""
    server = shell.backend.leave_server_mode()
    if server is None:
        return _quit(shell, args)
    return Result("exit", "message", data={"message": f"left server mode (server {server})"})


def _approval_file(shell, args: dict) -> Result:
    """The CMU approval file (docs/quorum.md), paths relative to it, checked by reading it back
    as approveToken does; a file that does not pass is removed."""
    import os
    from hsmshell.errors import InvalidArgument
    from hsmshell.fileio import write_file
    from hsmshell.quorum.approval import load_approval_file
    target = os.path.abspath(str(args["approval_file"]))
    folder = os.path.dirname(target)
    entries = []
    for item in str(args["approvals"]).split(","):
        parts = item.strip().split(":", 2)
        if len(parts) != 3 or parts[1].upper() not in ("CO", "CU") or not parts[0] or not parts[2]:
            raise InvalidArgument(f"approvalFile: '{item.strip()[:60]}' is not name:CO|CU:signature-file")
        entries.append((parts[0], 2 if parts[1].upper() == "CO" else 1, os.path.relpath(parts[2], folder)))
    lines = [f"Multi Token File Path = {os.path.relpath(str(args['token_file']), folder)};",
             "Token File Path = ;", f"Number of Approvals = {len(entries)};"]
    for name, kind, signature in entries:
        lines += [f"Approver Type = {kind}; # 2 for CO, 1 for CU", f"Approver Name = {name};",
                  f"Approval File = {signature};"]
    write_file(target, ("\n".join(lines) + "\n").encode(), what="approval file", shown_as=args["approval_file"])
    try:
        load_approval_file(target)
    except Exception:
        os.unlink(target)
        raise
    return Result("approvalFile", "message", data={
        "message": f"wrote {args['approval_file']} with {len(entries)} approval{'s' if len(entries) != 1 else ''}; "
                   f"next: approveToken {args['approval_file']}",
        "approval_file": str(args["approval_file"]), "approvals": len(entries)})


def _clear(shell, args: dict) -> Result:
    return Result("clear", "clear")          # the renderer clears a terminal, nothing else


HANDLERS = {"approvalFile": _approval_file, "clear": _clear, "help": _help, "whoami": _whoami, "status": _status, "quit": _quit, "exit": _exit,
            "Error2String": _error_string}
