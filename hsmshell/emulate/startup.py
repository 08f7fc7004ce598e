"""Reading an emulated tool's command line: CMU's config file, KMU's `singlecmd` words, and
hsmshell's own --home/--cluster wherever they stand among the tool's words."""

from __future__ import annotations

import json
from pathlib import Path

from hsmshell.errors import ConfigError, InvalidArgument
from hsmshell.parse.lexer import check_text

GLOBAL_OPTIONS = ("--home", "--cluster")


def split_global_options(words: list[str], stop_at: str | None = None) -> tuple[list[str], dict]:
    """(the tool's words, {option: value}) — hsmshell's options are taken out of the words up to
    `stop_at` (KMU's `singlecmd`: what follows it is KMU's)."""
    rest, found = [], {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == stop_at:
            rest += words[index:]
            break
        name, eq, value = word.partition("=")
        if name in GLOBAL_OPTIONS:
            if not eq:
                index += 1
                if index >= len(words):
                    raise InvalidArgument(f"{name} needs a value")
                value = words[index]
            found[name[2:]] = value
        else:
            rest.append(word)
        index += 1
    return rest, found


def read_cmu_config(path: str) -> dict:
    """cloudhsm_mgmt_util.cfg (or hsmshell's client.json, the same layout): the servers'
    hostnames in order, and the cluster when the file names one."""
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"{path} is not a cloudhsm_mgmt_util configuration (JSON)") from None
    servers = config.get("servers") if isinstance(config, dict) else None
    if not isinstance(servers, list) or not all(isinstance(s, dict) and s.get("hostname") for s in servers):
        raise ConfigError(f"{path} has no \"servers\" list with a hostname each",
                          hint="hsmshell configure -a <HSM IP> writes one")
    return {"hostnames": [str(s["hostname"]) for s in servers if s.get("enable", "yes") != "no"],
            "cluster": config.get("cluster")}


def singlecmd_commands(words: list[str], table) -> list[str]:
    """`singlecmd loginHSM -u CU -s name -p pw genSymKey -t 31 ...` -> one line per command.
    A word starts a command when it names one and is not the value of the previous flag."""
    commands: list[list[str]] = []
    spec = None
    expects_value = False
    for word in words:
        check_text(word)
        if not expects_value and word in table and (spec is None or spec.arg_for_flag(word) is None):
            spec = table.lookup(word)
            commands.append([word])
            continue
        if not commands:
            raise InvalidArgument(f"singlecmd: '{word[:32]}' is not a key_mgmt_util command")
        commands[-1].append(word)
        arg = spec.arg_for_flag(word) if not expects_value else None
        expects_value = arg is not None and not arg.is_switch
    return [" ".join(_quoted(w) for w in command) for command in commands]


def _quoted(word: str) -> str:
    if word and all(c.isalnum() or c in "-_./:@,=+" for c in word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"
