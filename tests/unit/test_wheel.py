"""A plain (non-editable) `pip install .` ships the default roles/ inside the wheel, and the
installed shell finds them at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(out), str(ROOT)], capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(build), "PIP_NO_INPUT": "1"}, cwd=build)
    if done.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {done.stderr.strip().splitlines()[-1:]}")
    return next(out.glob("hsmshell-*.whl"))


def test_the_wheel_holds_every_role_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for role in sorted((ROOT / "roles").glob("*.toml")):
        assert f"hsmshell/roles/{role.name}" in names
    assert "hsmshell/roles/README.md" in names


def test_the_installed_package_finds_its_roles(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import sys; from hsmshell.policy.roles import default_roles_dir; "
            "d = default_roles_dir(); print(d); sys.exit(0 if (d / 'co.toml').is_file() else 1)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(site) in done.stdout
