"""A keyring backend that answers only when the test lets it (PYTHON_KEYRING_BACKEND=
slow_keyring.SlowKeyring, with this folder on PYTHONPATH): it writes `asked` into
$SLOW_KEYRING_DIR, then waits (at most a minute) for `answer` there and returns its text."""

from __future__ import annotations

import os
import time
from pathlib import Path

from keyring.backend import KeyringBackend


class SlowKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        folder = Path(os.environ["SLOW_KEYRING_DIR"])
        (folder / "asked").write_text(username)
        deadline = time.monotonic() + 60
        while not (folder / "answer").exists():
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)
        return (folder / "answer").read_text()

    def set_password(self, service, username, password):
        raise NotImplementedError

    def delete_password(self, service, username):
        raise NotImplementedError
