"""Job control for a fork that reads its caller's terminal. The fork is in no session of that
terminal, so the kernel neither stops it when it reads from the background (SIGTTIN) nor
refuses it (EIO) when its job cannot be stopped; tcgetpgrp() answers only for one's own
terminal. These do what the kernel does for the caller, from the caller's /proc entry, before
every read and again around every wait (a job can be sent to the background mid-line).
"""

from __future__ import annotations

import errno
import io
import os
import select
import signal
import time

POLL = 0.1                                  # how soon a job sent to the background stops reading
STOP_WITHIN = 3.0                           # a job that does not stop by then cannot be stopped
TTIN_BIT = 1 << (signal.SIGTTIN - 1)


def _client(pid: int) -> tuple[str, int]:
    """(state, foreground process group of its terminal) of the caller."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return fields[0], int(fields[5])


def wait_for_foreground(client: int, pgrp: int) -> None:
    """Return once the caller's job is in the foreground of its terminal (or it has none).
    In the background: stop the job with SIGTTIN, as the kernel stops a background reader,
    and wait for `fg`; a job that does not stop (orphaned, SIGTTIN ignored) gets EIO, as the
    kernel gives it."""
    while True:
        try:
            state, foreground = _client(client)
        except (OSError, ValueError, IndexError):
            return                          # the caller is gone: its command is ended with it
        if foreground in (pgrp, -1):
            return
        if state != "T":
            if _ignores_ttin(client):       # the kernel gives such a reader EIO, stopping nobody
                raise OSError(errno.EIO, "the caller's background job cannot be stopped to read its terminal")
            try:
                os.killpg(pgrp, signal.SIGTTIN)
            except OSError:
                return
            if not _stops(client, pgrp):
                raise OSError(errno.EIO, "the caller's background job cannot be stopped to read its terminal")
        time.sleep(POLL)


def _ignores_ttin(client: int) -> bool:
    try:
        with open(f"/proc/{client}/status") as status:
            for line in status:
                if line.startswith(("SigIgn:", "SigBlk:")) and int(line.split()[1], 16) & TTIN_BIT:
                    return True
    except (OSError, ValueError, IndexError):
        pass
    return False


def _stops(client: int, pgrp: int) -> bool:
    deadline = time.monotonic() + STOP_WITHIN
    while time.monotonic() < deadline:
        try:
            state, foreground = _client(client)
        except (OSError, ValueError, IndexError):
            return True
        if state == "T" or foreground == pgrp:
            return True
        time.sleep(0.02)
    return False


def readable(fd: int, gate) -> None:
    """Wait until `fd` has input while the caller is in the foreground (checked again after
    every wait, so a line typed after Ctrl-Z and `bg` goes to the shell, not here)."""
    while True:
        gate()
        if select.select([fd], [], [], POLL)[0]:
            gate()
            return


class TerminalReader(io.RawIOBase):
    """fd 0 when it is the caller's terminal: every read waits, as `readable` does."""

    def __init__(self, gate) -> None:
        super().__init__()
        self.gate = gate

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 0

    def isatty(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        readable(0, self.gate)
        return os.readv(0, [buffer])
