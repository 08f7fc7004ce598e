"""The interactive shell (prompt_toolkit)."""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.shortcuts import prompt as pt_prompt

from hsmshell.clusters import open_shell
from hsmshell.parse.lexer import split_statements
from hsmshell.pipeline import Cancelled
from hsmshell.status import ExitStatus
from hsmshell.ui.completer import ShellCompleter, tab_completes_at_once
from hsmshell.ui.history import RedactingHistory
from hsmshell.ui.toolbar import prompt_text, toolbar_text

WELCOME = "hsmshell — {cluster} cluster. Type help for commands, Tab to complete, Ctrl-D to quit."
# (rich wraps it between words at the terminal's width)


def run_repl(env) -> ExitStatus:
    env.mode = "repl"
    env.interactive = True
    env.ask_secret_fn = lambda prompt: _ask(prompt, is_password=True)
    env.ask_yes_no_fn = lambda question: _ask(question)
    shell = open_shell(env)
    completer = ShellCompleter(shell)
    session = PromptSession(history=RedactingHistory(env.home / "history", shell.table),
                            completer=completer, complete_while_typing=False,
                            key_bindings=tab_completes_at_once(completer),
                            bottom_toolbar=lambda: toolbar_text(shell))
    shell.renderer.note(WELCOME.format(cluster=env.cluster))
    number = 0
    try:
        while not shell.quitting:
            try:
                line = session.prompt(lambda: prompt_text(shell))
            except KeyboardInterrupt:
                continue                         # Ctrl-C cancels the line
            except EOFError:
                break                            # Ctrl-D quits
            for statement in split_statements(line):
                number += 1
                shell.run(statement, f"repl:{number}")
                if shell.quitting:
                    break
    finally:
        shell.close()
    return ExitStatus.SUCCESS            # a session ended by quit or Ctrl-D went as asked


def _ask(question: str, is_password: bool = False) -> str:
    """A question inside a command (hidden password, CAUTION y/n): Ctrl-C or Ctrl-D there
    cancels that command, not the shell."""
    try:
        return pt_prompt(question, is_password=is_password)
    except (KeyboardInterrupt, EOFError):
        raise Cancelled("cancelled at the question: nothing was run") from None
