"""The README's CloudHSM CLI story runs as printed: its bash block, verbatim, with the
installed `hsmshell` on PATH; openssl verifies the signature the shell made."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def story() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## CloudHSM CLI (Client SDK 5) words", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    return "\n".join(line[2:] for line in block.splitlines() if line.startswith("$ "))


@pytest.mark.skipif(shutil.which("openssl") is None or shutil.which("base64") is None,
                    reason="needs openssl and base64")
def test_the_readme_sdk5_story_runs_as_printed(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    environ["HSMSHELL_HOME"] = str(tmp_path / "home")             # a fresh state dir
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", story()], capture_output=True, text=True,
                          env=environ, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Verified OK" in done.stdout
    assert "Cluster activation successful" in done.stdout and "alice" in done.stdout
