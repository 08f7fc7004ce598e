"""CloudHSM CLI's grammar (Client SDK 5): `<noun> <verb> [<sub-verb>] --option value ...`.

The command is the longest phrase of words the table knows (`key generate-symmetric aes`);
after it come only `--options` (clap style: `--name value`, `--name=value`, switches without
a value, and options such as `--filter` that take every word up to the next option). Help
has three spellings: `help key list`, `key list --help` (or `-h`) and `key help list`.
Pure: no I/O; a password left out is recorded as a prompt, asked after the policy allowed
the command (as `-hpswd` is).
"""

from __future__ import annotations


from hsmshell.commands.spec import Arg, CommandSpec, CommandTable
from hsmshell.errors import InvalidArgument, UnknownCommand
from hsmshell.parse.lexer import quote as _quote
from hsmshell.parse.secrets import SecretRef, secret_from_token
from hsmshell.parse.types import MULTI_WORD_KINDS, convert

HELP_WORDS = ("--help", "-h")
ONE_WORD_PHRASES = ("login", "logout")     # also SDK 3 prefixes (loginHSM, logoutHSM)
MASK = "********"
# Commands of CloudHSM CLI's tree that hsmshell leaves out (docs/sdk5.md says why): named, so a
# user typing one learns that, not "invalid user type" or "no subcommand".
LEFT_OUT = {
    ("login", "mfa-token-sign"): "multi-factor authentication is not emulated",
    ("user", "change-mfa"): "multi-factor authentication is not emulated",
    ("user", "replicate"): "hsmshell's clusters share no backup lineage to replicate across",
    ("key", "replicate"): "hsmshell's clusters share no backup lineage to replicate across",
    ("key", "generate-asymmetric-pair", "ml-dsa"): "post-quantum (ML-DSA) keys are not emulated",
    ("crypto", "sign", "ml-dsa"): "post-quantum (ML-DSA) keys are not emulated",
    ("crypto", "verify", "ml-dsa"): "post-quantum (ML-DSA) keys are not emulated",
    ("crypto", "sign", "ed25519ph"): "HashEdDSA (Ed25519ph) is not emulated",
    ("crypto", "verify", "ed25519ph"): "HashEdDSA (Ed25519ph) is not emulated",
    ("quorum", "token-sign", "list-timeouts"): "a 2023-only command, gone from AWS's current tree",
    ("quorum", "token-sign", "set-timeout"): "a 2023-only command, gone from AWS's current tree",
}
Bound = tuple     # (spec, values, text, history text, secrets)


def speaks_noun_verb(tokens: list[str], table: CommandTable) -> bool:
    """Is this line CloudHSM CLI's? `login` alone or with `--options` is; `login CU alice`
    (a prefix of CMU's loginHSM) is not."""
    roots = table.phrase_roots
    first = tokens[0]
    if first == "help":
        return len(tokens) > 1 and tokens[1] in roots
    if first not in roots:
        return False
    if first in ONE_WORD_PHRASES:
        return (len(tokens) == 1 or tokens[1].startswith("--") or tokens[1] in ("help", "-h")
                or tuple(tokens[:2]) in LEFT_OUT)
    return True


def parse_phrase(tokens: list[str], table: CommandTable) -> Bound:
    """(spec, arguments, redacted text, history text, secrets) of a noun-verb line."""
    if tokens[0] == "help":
        return help_invocation(table, tokens[1:])
    if len(tokens) > 1 and tokens[1] == "help":              # `key help generate-symmetric aes`
        return help_invocation(table, [tokens[0], *tokens[2:]])
    left_out = _left_out(tokens)
    if left_out:
        raise left_out
    spec, used = table.match_phrase(tokens)
    if spec is None:
        raise _unknown_phrase(tokens, table)
    rest = tokens[used:]
    if any(token in HELP_WORDS for token in rest):
        return help_invocation(table, spec.name.split())
    values, shown, history, secrets = _bind_options(spec, rest)
    return spec, values, " ".join(shown), " ".join(history), secrets


def help_invocation(table: CommandTable, words: list[str]) -> Bound:
    """The shell's `help` command, asked about a phrase or a group of phrases."""
    spec = table.specs.get("help")
    if spec is None:
        raise UnknownCommand("help is not a command here")
    topic = " ".join(w for w in words if w not in HELP_WORDS)
    if topic and table.match_phrase(topic.split())[0] is None and not table.phrase_children(tuple(topic.split())):
        raise _unknown_phrase(topic.split(), table)
    text = f"help {topic}".strip()
    return spec, {"topic": topic or None}, text, text, {}


def _bind_options(spec: CommandSpec, rest: list[str]):
    values: dict[str, object] = {}
    secrets: dict[str, SecretRef] = {}
    shown, history = [spec.name], [spec.name]
    index = 0
    while index < len(rest):
        token = rest[index]
        index += 1
        name, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        arg = spec.arg_for_flag(name) if name.startswith("-") else None
        if arg is None:
            raise _not_an_option(spec, name)
        if arg.name in values:
            raise InvalidArgument(f"{spec.name}: {name} given twice", hint=f"usage: {spec.usage()}")
        if arg.is_switch:
            if eq:
                raise InvalidArgument(f"{spec.name}: {name} takes no value", hint=f"usage: {spec.usage()}")
            values[arg.name] = True
            shown.append(name)
            history.append(name)
            continue
        if arg.kind in MULTI_WORD_KINDS:
            words = [inline] if eq else []
            while index < len(rest) and not _is_option(rest[index], spec):
                words.append(rest[index])
                index += 1
            if not words or not all(words):
                raise InvalidArgument(f"{spec.name}: {name} needs at least one value",
                                      hint=f"usage: {spec.usage()}")
            values[arg.name] = tuple(convert(arg, word) for word in words)
            quoted = [name, *(_quote(word) for word in words)]
            shown += quoted
            history += quoted
            continue
        if not eq:
            if index >= len(rest):
                raise InvalidArgument(f"{spec.name}: {name} needs a value", hint=f"usage: {spec.usage()}")
            inline = rest[index]
            index += 1
        if arg.secret:
            ref = secret_from_token(inline)
            values[arg.name] = secrets[arg.name] = ref
            shown += [name, ref.display]
            if ref.source != "literal":          # a literal password never reaches history
                history += [name, ref.display]
            continue
        values[arg.name] = convert(arg, inline)
        shown += [name, _quote(inline)]
        history += [name, _quote(inline)]
    for arg in spec.args:
        if arg.name in values:
            continue
        if arg.secret:                   # left out: CloudHSM CLI asks for it
            values[arg.name] = secrets[arg.name] = SecretRef("prompt")
            continue
        if arg.required:
            raise InvalidArgument(f"{spec.name}: missing {arg.flags[0]}", hint=f"usage: {spec.usage()}")
        values[arg.name] = False if arg.is_switch else arg.default
    return values, shown, history, secrets


def _is_option(token: str, spec: CommandSpec) -> bool:
    return token.startswith("--") or (token.startswith("-") and spec.arg_for_flag(token) is not None)


def _not_an_option(spec: CommandSpec, name: str) -> InvalidArgument:
    if not name.startswith("-"):
        shown = "" if any(a.secret for a in spec.args) else f" '{name[:32]}'"
        return InvalidArgument(f"{spec.name}: unexpected argument{shown}",
                               hint=f"values follow their --option; usage: {spec.usage()}")
    options = [flag for arg in spec.args for flag in arg.flags if flag.startswith("--")]
    close = _close_matches(name, options)
    hint = ("did you mean " + " or ".join(close) + "?") if close else f"usage: {spec.usage()}"
    return InvalidArgument(f"{spec.name}: unknown option {name[:32]}", hint=hint)


def _left_out(words: list[str]) -> UnknownCommand | None:
    for length in (3, 2):
        reason = LEFT_OUT.get(tuple(words[:length]))
        if reason:
            return UnknownCommand(f"'{' '.join(words[:length])}' is a CloudHSM CLI command hsmshell "
                                  f"does not implement: {reason}",
                                  hint="docs/sdk5.md lists the commands left out and why")
    return None


def _unknown_phrase(words: list[str], table: CommandTable) -> UnknownCommand:
    left_out = _left_out(words)
    if left_out:
        return left_out
    known = 0
    while known < len(words) and table.phrase_children(tuple(words[:known + 1])):
        known += 1
    group = " ".join(words[:known]) or words[0][:32]
    children = table.phrase_children(tuple(words[:known]))
    if known < len(words) and not words[known].startswith("-"):
        typed = words[known][:32]
        close = _close_matches(typed, children)
        hint = ("did you mean " + " or ".join(f"{group} {c}" for c in close) + "?") if close \
            else f"{group} has: {', '.join(children)}"
        return UnknownCommand(f"'{group}' has no subcommand '{typed}'", hint=hint)
    return UnknownCommand(f"'{group}' needs a subcommand", hint=f"one of: {', '.join(children)}")


def redact_phrase(tokens: list[str], table: CommandTable) -> tuple[str | None, str]:
    """(command, loggable text) of a noun-verb line that failed to parse. A typo must not put
    a password into the audit log: the value of every secret option is masked, and so is
    every word that is no option and no option's value (a password typed out of place)."""
    spec, used = table.match_phrase(tokens)
    if spec is None:                       # not even a command: its words stay unlogged
        extra = f" <{len(tokens) - 1} argument(s) not logged>" if len(tokens) > 1 else ""
        return None, tokens[0] + extra
    masked = tokens[:used]
    expecting: Arg | None = None           # the option whose value(s) the next words are
    for token in tokens[used:]:
        name, eq, _ = token.partition("=")
        arg = spec.arg_for_flag(name) if token.startswith("-") else None
        if arg is not None:
            masked.append(f"{name}={MASK}" if eq and arg.secret else token)
            expecting = None if eq or arg.is_switch else arg
            continue
        if expecting is not None and not expecting.secret:
            masked.append(token)
            if expecting.kind not in MULTI_WORD_KINDS:
                expecting = None
            continue
        masked.append(MASK)
        expecting = None
    return spec.name, " ".join(masked)


__all__ = ["Arg", "help_invocation", "parse_phrase", "redact_phrase", "speaks_noun_verb"]


def _close_matches(word: str, options: list[str]) -> list[str]:
    import difflib          # only for a typo: kept off every start's import path
    return difflib.get_close_matches(word, options, n=2, cutoff=0.6)
