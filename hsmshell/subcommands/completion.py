"""`hsmshell completion bash|zsh`: print a completion script for the system shell."""

from __future__ import annotations

NAME = "completion"
HELP = "print a bash or zsh completion script (eval \"$(hsmshell completion bash)\")"
EXAMPLES = """examples:
  eval "$(hsmshell completion bash)"             # in ~/.bashrc
  eval "$(hsmshell completion zsh)"              # in ~/.zshrc"""


def add_arguments(parser, common) -> None:
    parser.add_argument("shell", choices=("bash", "zsh"))


def run(options, env):
    from hsmshell.commands import command_table
    from hsmshell.render.completion_script import bash_script, zsh_script
    from hsmshell.status import ExitStatus

    names = [spec.name for spec in command_table() if " " not in spec.name]
    make = bash_script if options.shell == "bash" else zsh_script
    env.stdout.write(make(options.root_parser, names))     # cli.py hands its parser over
    return ExitStatus.SUCCESS
