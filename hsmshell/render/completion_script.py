"""`hsmshell completion bash|zsh`: a completion script for the system shell, generated from
the command-line parser (subcommands, their options and sub-subcommands) and the command
table (so `hsmshell list<Tab>` offers listUsers, as `hsmshell <command>` runs it)."""

from __future__ import annotations

import argparse


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(o for a in parser._actions for o in a.option_strings if o.startswith("--") or len(o) == 2)


def bash_script(parser: argparse.ArgumentParser, command_names: list[str]) -> str:
    subs = _choices(parser)
    cases = []
    for name, sub in sorted(subs.items()):
        nested = _choices(sub)
        words = sorted(nested) + _options(sub)
        inner = []
        for child, child_parser in sorted(nested.items()):
            inner.append(f'            {child}) words="{" ".join(_options(child_parser))}";;')
        body = (f'        {name})\n            words="{" ".join(words)}"\n'
                + (f'            case "$nested" in\n' + "\n".join(inner) + "\n            esac\n" if inner else "")
                + "            ;;")
        cases.append(body)
    top = sorted(subs) + _options(parser) + sorted(command_names)
    nested_names = sorted({n for sub in subs.values() for n in _choices(sub)})
    return f'''# hsmshell completion for bash: eval "$(hsmshell completion bash)" (e.g. in ~/.bashrc)
_hsmshell() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" sub="" nested="" words="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            {"|".join(sorted(subs))}) [[ -z "$sub" ]] && sub="${{COMP_WORDS[i]}}";;
            {"|".join(nested_names) or "-"}) [[ -n "$sub" ]] && nested="${{COMP_WORDS[i]}}";;
        esac
    done
    case "$sub" in
        "") words="{" ".join(top)}";;
{chr(10).join(cases)}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _hsmshell hsmshell
'''


def zsh_script(parser: argparse.ArgumentParser, command_names: list[str]) -> str:
    return ("# hsmshell completion for zsh: eval \"$(hsmshell completion zsh)\" (e.g. in ~/.zshrc)\n"
            "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
            + bash_script(parser, command_names).split("\n", 1)[1])
