"""One real tool (CMU or KMU) in a pseudo-terminal, driven by pexpect.

`run(line, exchange)` sends one command and reads until the tool's prompt comes back,
answering its questions on the way: the CAUTION y/n (yes only when hsmshell's own
confirmation was given), password prompts (the secret is sent through the terminal with
logging off; it is never in an argument list), Retry/Ignore/Abort (the configured choice).
A tool that does not answer within the timeout, or exits, is hsm-unavailable: never a hang.
"""

from __future__ import annotations

import os

from hsmshell.errors import BackendUnavailable, InvalidArgument
from hsmshell.record import field, record

MASK = "********"
MAX_QUESTIONS = 12              # more questions than any command asks: the tool is stuck
QUIT_SECONDS = 5.0
# What the tools ask, by kind (AWS's cloudhsm_mgmt_util pages; AWS's key_mgmt_util pages)
QUESTIONS = {
    "confirm": r"Do you want to continue\(y/n\)\? ?",
    "password": r"(?:Enter (?:new )?password|Re-enter new password|Confirm password|Enter PEM pass ?phrase): ?",
    "retry_ignore_abort": r"Retry/Ignore/Abort\?\(R/I/A\): ?",
    "retry_rollback_ignore": r"Retry/rollBack/Ignore\?\(R/B/I\): ?",
    "boolean": r"Enter the boolean attribute value \(0 or 1\): ?",
}
# Abort where the tool offers it; R/B/I has none: rollBack stops too, undoing what succeeded.
FAILURE_ANSWERS = {"retry_ignore_abort": {"abort": "A", "ignore": "I"},
                   "retry_rollback_ignore": {"abort": "B", "ignore": "I"}}


@record
class Exchange:
    """How to answer the questions of one command."""
    confirmed: bool = False              # hsmshell's CAUTION confirmation was given
    secret: str | None = None            # the answer to password prompts (asked twice for new ones)
    on_failure: str = "abort"            # abort | ignore
    asked: list[str] = field(default_factory=list)      # the kinds asked, in order
    answers: list[str] = field(default_factory=list)    # what was answered (never a secret)

    def answer(self, kind: str) -> str:
        self.asked.append(kind)
        if kind == "password":
            self.answers.append(MASK)
            return self.secret or ""
        answer = {"confirm": "y" if self.confirmed else "n", "boolean": "1"}.get(kind) \
            or FAILURE_ANSWERS[kind][self.on_failure]
        self.answers.append(answer)
        return answer


class RedactingLog:
    """pexpect's logfile_read: the tool's output, secrets masked (sends are never logged)."""

    def __init__(self, path):
        self.handle = open(path, "a", encoding="utf-8")
        self.secrets: tuple[str, ...] = ()

    def write(self, text: str) -> None:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        self.handle.write(text)

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class ToolTerminal:
    def __init__(self, name: str, argv: tuple[str, ...], prompt: str, timeout: float,
                 environ: dict | None = None, transcript=None, quit_command: str = "quit"):
        self.name, self.argv, self.timeout = name, argv, timeout
        self.prompt = prompt
        self.environ = environ
        self.transcript_path = transcript
        self.quit_command = quit_command
        self.child = None
        self.log = None

    # -- life ----------------------------------------------------------------------------------
    def start(self) -> str:
        """Start the tool and return what it printed before its first prompt."""
        import pexpect

        environ = dict(self.environ if self.environ is not None else os.environ)
        environ.setdefault("PATH", os.defpath)
        environ.setdefault("TERM", "dumb")
        try:
            self.child = pexpect.spawn(self.argv[0], list(self.argv[1:]), env=environ,
                                       encoding="utf-8", codec_errors="replace", echo=False,
                                       timeout=self.timeout, dimensions=(50, 250))
        except pexpect.ExceptionPexpect as exc:
            raise BackendUnavailable(f"cannot start {self.name} ({self.argv[0]}): {exc}",
                                     hint="set HSMSHELL_CMU_COMMAND / HSMSHELL_KMU_COMMAND "
                                          "(docs/real-tools.md)") from None
        self.child.delaybeforesend = None
        if self.transcript_path is not None:
            self.log = RedactingLog(self.transcript_path)
            self.child.logfile_read = self.log
        return self._until_prompt(Exchange())

    @property
    def alive(self) -> bool:
        return self.child is not None and self.child.isalive()

    def close(self) -> None:
        """Quit the tool politely, then make sure it is gone."""
        child, self.child = self.child, None
        if child is None:
            return
        import pexpect
        try:
            if child.isalive():
                child.sendline(self.quit_command)
                child.expect(pexpect.EOF, timeout=QUIT_SECONDS)
        except (pexpect.ExceptionPexpect, OSError):
            pass
        finally:
            child.close(force=True)
            if self.log is not None:
                self.log.close()
                self.log = None

    # -- one command ---------------------------------------------------------------------------
    def run(self, line: str, exchange: Exchange) -> str:
        """Send `line`; return what the tool printed until its prompt (questions included)."""
        if "\n" in line or "\r" in line:
            raise InvalidArgument("a tool command must be one line")
        if exchange.secret and not exchange.secret.isprintable():
            # a newline would end the answer early and send the rest as a command
            raise InvalidArgument("the password holds a control character; it was not sent")
        if not self.alive:
            raise BackendUnavailable(f"{self.name} is not running", hint="log in again")
        if self.log is not None and exchange.secret:
            self.log.secrets = (exchange.secret,)
        try:
            self.child.sendline(line)
            return self._until_prompt(exchange)
        finally:
            if self.log is not None:
                self.log.flush()
                self.log.secrets = ()

    def _until_prompt(self, exchange: Exchange) -> str:
        import pexpect

        kinds = list(QUESTIONS)
        patterns = [self.prompt, *(QUESTIONS[k] for k in kinds), pexpect.TIMEOUT, pexpect.EOF]
        shown: list[str] = []
        for _ in range(MAX_QUESTIONS):
            try:
                index = self.child.expect(patterns)
            except (pexpect.ExceptionPexpect, OSError) as exc:
                self._fail(f"{self.name} failed: {exc}")
            shown.append(self.child.before if isinstance(self.child.before, str) else "")
            if index == 0:
                return _masked("".join(shown), exchange.secret)
            if index == len(patterns) - 2:
                self._fail(f"{self.name} did not answer within {self.timeout:g} s")
            if index == len(patterns) - 1:
                self._fail(f"{self.name} exited")
            kind = kinds[index - 1]
            shown.append(self.child.after.rstrip() + "\n")
            reply = exchange.answer(kind)
            if kind == "password":
                self._send_secret(reply)
            else:
                self.child.sendline(reply)
        self._fail(f"{self.name} asked more than {MAX_QUESTIONS} questions for one command")

    def _send_secret(self, secret: str) -> None:
        log, self.child.logfile_send = self.child.logfile_send, None
        try:
            self.child.sendline(secret)
        finally:
            self.child.logfile_send = log

    def _fail(self, message: str):
        self.close_now()
        raise BackendUnavailable(message, hint="the tool was stopped; the next command starts it again "
                                               "(log in again)")

    def close_now(self) -> None:
        child, self.child = self.child, None
        if child is not None:
            child.close(force=True)
        if self.log is not None:
            self.log.close()
            self.log = None


def _masked(text: str, secret: str | None) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "")
    return text.replace(secret, MASK) if secret else text


def prompt_pattern(*prompts: str) -> str:
    """A prompt at the start of the tool's output or of a line."""
    return r"(?:\A|\n)(?:" + "|".join(prompts) + ")"


CMU_PROMPT = prompt_pattern(r"aws-cloudhsm ?> ?", r"server ?\d* ?> ?")
KMU_PROMPT = prompt_pattern(r"Command: ?")
