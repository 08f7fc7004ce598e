"""`hsmshell emulate cmu [--cluster NAME] [cfg-file]` and `hsmshell emulate kmu [singlecmd ...]`:
cloudhsm_mgmt_util- and key_mgmt_util-compatible terminal programs on an emulated cluster
(hsmshell/emulate/). Scripts written for the real tools run against them unchanged."""

from __future__ import annotations

import argparse

from hsmshell.status import ExitStatus

NAME = "emulate"
HELP = "CMU/KMU-compatible terminal programs on an emulated cluster"


def add_arguments(parser, common) -> None:
    parser.add_argument("tool", choices=("cmu", "kmu", "cloudhsm-cli"),
                        help="cmu: cloudhsm_mgmt_util; kmu: key_mgmt_util; cloudhsm-cli: CloudHSM CLI (SDK 5)")
    parser.add_argument("words", nargs=argparse.REMAINDER, metavar="...",
                        help="cmu: [cfg-file]; kmu: [singlecmd COMMAND ARGS ...]; "
                             "cloudhsm-cli: interactive | COMMAND [ARGS ...]")


def run(options, env) -> ExitStatus:
    from hsmshell.backends.result import ServerStatus
    from hsmshell.modes.options import make_environment
    from hsmshell.emulate import startup
    from hsmshell.emulate.terminal import FailureQuestion, LineReader, run_commands, run_lines
    from hsmshell.emulate.tools import CLOUDHSM_CLI, CMU, TOOLS, open_tool_shell, renderer_for, tool_environment
    from hsmshell.errors import InvalidArgument

    tool = TOOLS[options.tool]
    words, given = startup.split_global_options(options.words, stop_at="singlecmd")
    if tool is CLOUDHSM_CLI:
        return _cloudhsm_cli(options, env, words, given)
    config = None
    if tool is CMU and words:
        if len(words) > 1:
            raise InvalidArgument(f"emulate cmu takes one config file, not {len(words)} words")
        config = startup.read_cmu_config(words[0])
        given.setdefault("cluster", config["cluster"] or options.cluster)
    if given:           # hsmshell's options written among the tool's words
        for name, value in given.items():
            if value:
                setattr(options, name, value)
        env = make_environment(options)
    singlecmd = words[1:] if words[:1] == ["singlecmd"] else None
    if tool is not CMU and words and singlecmd is None:
        raise InvalidArgument(f"emulate kmu: unknown argument '{words[0][:32]}'",
                              hint="emulate kmu [singlecmd COMMAND ARGS ...]")

    reader = LineReader(env.stdin)
    env = tool_environment(env, tool, reader)
    renderer = reader.renderer = renderer_for(tool, env)
    shell = open_tool_shell(env, tool, renderer)
    try:
        if singlecmd is not None:
            return run_commands(shell, tool, startup.singlecmd_commands(singlecmd, shell.table))
        hsms = shell.backend.summary()["hsms"]
        wanted = config["hostnames"] if config else None
        renderer.servers = [ServerStatus(h["server"], h["hsm"], h["ip"]) for h in hsms
                            if h["state"] == "ACTIVE" and (wanted is None or h["ip"] in wanted)]
        if tool is CMU:
            shell.backend.set_failure_prompt(FailureQuestion(env, renderer))
            if wanted is not None:          # CMU knows only the HSMs its config file lists
                shell.backend.cluster.connected_servers = frozenset(s.server for s in renderer.servers)
            renderer.startup(hsms, wanted)
        return run_lines(shell, tool, reader)
    finally:
        shell.close()


def _cloudhsm_cli(options, env, words: list[str], given: dict) -> ExitStatus:
    from hsmshell.emulate import cloudhsm_cli
    from hsmshell.modes.options import make_environment
    from hsmshell.emulate.terminal import LineReader
    from hsmshell.emulate.tools import CLOUDHSM_CLI, open_tool_shell, renderer_for, tool_environment

    for name, value in given.items():      # hsmshell's --home/--cluster among the tool's words
        setattr(options, name, value)
    if given:
        env = make_environment(options)
    reader = LineReader(env.stdin)
    env = tool_environment(env, CLOUDHSM_CLI, reader)
    renderer = reader.renderer = renderer_for(CLOUDHSM_CLI, env)
    shell = open_tool_shell(env, CLOUDHSM_CLI, renderer)
    try:
        return cloudhsm_cli.run(env, shell, reader, words)
    finally:
        shell.close()
