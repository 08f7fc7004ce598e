"""Files the shell writes (docs/hardening.md): a path naming a FIFO, a device, a folder or a
symbolic link is refused and left as it was, key material never goes through a link (a
planted one at the old fixed `<out>.tmp` name included), and nothing is left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from key_fixtures import keys  # noqa: F401 (fixture)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


@pytest.fixture
def material(keys):
    """A cluster with an AES key (wraps, and is exported) and an RSA pair (signs, exported)."""
    k = keys
    aes = k.ok("genSymKey -t 31 -s 32 -l aes")["key_handle"]
    pair = k.ok("genRSAKeyPair -m 2048 -e 65537 -l rsa")
    k.file("data.bin", b"data to sign")
    return k, aes, pair


def writers(k, aes, pair, out: Path) -> dict[str, str]:
    """Every key command that writes a file, writing to `out`."""
    return {
        "exSymKey": f"exSymKey -k {aes} -w {aes} -out {out}",
        "exportPrivateKey": f"exportPrivateKey -k {pair['private_key_handle']} -w {aes} -out {out}",
        "exportPubKey": f"exportPubKey -k {pair['public_key_handle']} -out {out}",
        "wrapKey": f"wrapKey -k {aes} -w {aes} -out {out}",
        "sign": f"sign -f {k.files / 'data.bin'} -k {pair['private_key_handle']} -m 1 -out {out}",
    }


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_folder(path: Path) -> None:
    path.mkdir()


def make_link_to_victim(path: Path) -> None:
    path.with_name("victim").write_bytes(b"not yours")
    path.symlink_to(path.with_name("victim"))


def make_dangling_link(path: Path) -> None:
    path.symlink_to(path.with_name("nowhere"))


def make_device(path: Path) -> None:
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))      # a /dev/null of our own


@pytest.mark.parametrize("make, kind", [
    pytest.param(make_fifo, "it is a FIFO", marks=needs_fifo),
    (make_folder, "it is a folder"),
    (make_link_to_victim, "symbolic link"),
    (make_dangling_link, "symbolic link"),
    pytest.param(make_device, "it is a device", marks=pytest.mark.skipif(
        os.geteuid() != 0, reason="making a device node needs root")),
])
def test_every_writer_refuses_a_target_that_is_not_a_regular_file(material, make, kind):
    k, aes, pair = material
    for command, line in writers(k, aes, pair, k.files / "out").items():
        target = k.files / "out"
        make(target)
        before = os.lstat(target)
        error = k.fails(line, "invalid-argument", 2)
        assert kind in error["message"] and "'" in error["message"] and "\n" not in error["message"], command
        after = os.lstat(target)
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino), command
        victim = k.files / "victim"
        if victim.exists():
            assert victim.read_bytes() == b"not yours", command
            victim.unlink()
        target.rmdir() if target.is_dir() and not target.is_symlink() else target.unlink()
        assert not (k.files / "nowhere").exists(), command
        assert _leftovers(k.files) == [], command


def test_a_link_planted_at_the_old_temporary_name_gets_no_key_material(material):
    """The key used to be written to `<out>.tmp` (following a link there) and renamed."""
    k, aes, pair = material
    victim = k.files / "victim"
    for command, line in writers(k, aes, pair, k.files / "out").items():
        victim.write_bytes(b"not yours")
        (k.files / "out.tmp").symlink_to(victim)
        k.ok(line)
        assert victim.read_bytes() == b"not yours", command
        assert (k.files / "out").is_file() and not (k.files / "out").is_symlink()
        (k.files / "out.tmp").unlink()
        (k.files / "out").unlink()


def test_key_material_is_private_from_the_start_whatever_the_umask(material):
    k, aes, pair = material
    old = os.umask(0)
    try:
        for command, line in writers(k, aes, pair, k.files / "out").items():
            k.ok(line)
            mode = (k.files / "out").stat().st_mode & 0o777
            expected = 0o600 if command in ("exSymKey", "exportPrivateKey") else 0o644
            assert mode == expected, (command, oct(mode))
            assert _leftovers(k.files) == [], command
            (k.files / "out").unlink()
    finally:
        os.umask(old)


def test_an_existing_regular_file_is_replaced_and_a_missing_folder_named(material):
    k, aes, pair = material
    out = k.file("out", b"old content that is longer than a wrapped AES key" * 4)
    for line in writers(k, aes, pair, out).values():
        k.ok(line)
        assert b"old content" not in out.read_bytes()
    error = k.fails(f"exSymKey -k {aes} -w {aes} -out {k.files / 'no-such-folder' / 'key.bin'}",
                    "invalid-argument", 2)
    assert "no-such-folder" in error["message"] and "No such file or directory" in error["message"]


def test_one_helper_writes_every_file():
    """No module but fileio.py opens a file for writing or renames one into place."""
    root = Path(__file__).resolve().parents[2] / "hsmshell"
    allowed = {"fileio.py", "audit/log.py", "state/db.py", "keyring_store.py", "ui/history.py",
               "backends/cloudhsm/terminal.py"}
    patterns = ("write_bytes(", "write_text(", "os.replace(", ".replace(tmp", "O_TRUNC", '"wb"', "'wb'")
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).as_posix()
        if relative in allowed:
            continue
        text = path.read_text()
        offenders += [f"{relative}: {p}" for p in patterns if p in text]
    assert offenders == []


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))
