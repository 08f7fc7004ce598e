"""The interactive shell (prompt_toolkit)."""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.shortcuts import prompt as pt_prompt

from hsmshell.clusters import open_shell
from hsmshell.parse.lexer import split_statements
from hsmshell.status import ExitStatus
from hsmshell.ui.completer import ShellCompleter
from hsmshell.ui.history import RedactingHistory
from hsmshell.ui.toolbar import prompt_text, toolbar_text

WELCOME = "hsmshell — {cluster} cluster. Type help for commands, Tab to complete, Ctrl-D to quit."


def run_repl(env) -> ExitStatus:
    env.mode = "repl"
    env.interactive = True
    env.ask_secret_fn = lambda prompt: pt_prompt(prompt, is_password=True)
    env.ask_yes_no_fn = lambda question: pt_prompt(question)
    shell = open_shell(env)
    from prompt_toolkit.patch_stdout import patch_stdout  # noqa: F401  (output stays above prompt)
    session = PromptSession(history=RedactingHistory(env.home / "history", shell.table),
                            completer=ShellCompleter(shell), complete_while_typing=False,
                            bottom_toolbar=lambda: toolbar_text(shell))
    shell.renderer.note(WELCOME.format(cluster=env.cluster))
    last = ExitStatus.SUCCESS
    number = 0
    try:
        while not shell.quitting:
            try:
                line = session.prompt(lambda: prompt_text(shell))
            except KeyboardInterrupt:
                continue                         # Ctrl-C cancels the line
            except EOFError:
                break                            # Ctrl-D quits
            for statement in _statements(line, shell):
                number += 1
                last = shell.run(statement, f"repl:{number}").status
                if shell.quitting:
                    break
    finally:
        shell.close()
    return last


def _statements(line: str, shell) -> list[str]:
    try:
        return split_statements(line)
    except Exception:
        return [line]
