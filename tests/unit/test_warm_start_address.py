"""The warm-start client's decisions and wire format (hsmshell/warmstart/address.py): which
command lines may run warm, what a server must agree on, and a request reader that never
accepts a malformed request as another one."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, strategies as st

from hsmshell import cli
from hsmshell.warmstart import address
from hsmshell.warmstart.preload import CodeFingerprint
from hsmshell.warmstart.server import _can_give


def test_the_client_skips_the_same_option_values_the_cli_reads():
    takes_value = {flag for flags, settings in cli.GLOBAL_OPTIONS if "action" not in settings for flag in flags}
    assert address.VALUE_OPTIONS == takes_value


@pytest.mark.parametrize("argv, warm", [
    ([], False),                                        # the REPL
    (["--home", "h"], False),
    (["--home", "h", "--json"], False),
    (["-c", "listUsers"], True),
    (["--home", "-c", "--json"], False),                # -c is --home's value here
    (["--json", "--home", "h", "-c", "listUsers"], True),
    (["run", "f.hsm"], True),
    (["--cluster", "run", "listUsers"], True),          # a bare command word
    (["audit", "verify"], True),
    (["emulate", "cmu"], False),                        # an interactive tool of its own
    (["--home", "h", "emulate", "kmu"], False),
    (["--help"], False),
])
def test_which_command_lines_run_warm(argv, warm, monkeypatch):
    monkeypatch.setattr(address, "_isatty", lambda fd: False)
    assert address.wanted(argv, {}) is warm


def test_output_to_a_terminal_or_switched_off_runs_here(monkeypatch):
    monkeypatch.setattr(address, "_isatty", lambda fd: fd == 1)
    assert not address.wanted(["-c", "listUsers"], {})
    monkeypatch.setattr(address, "_isatty", lambda fd: False)
    for value in ("off", "OFF", "0", "no", "false"):
        assert not address.wanted(["-c", "listUsers"], {address.SWITCH: value})
    assert address.wanted(["-c", "listUsers"], {address.SWITCH: "require"})


def test_a_server_serves_only_the_start_up_environment_it_was_started_with():
    base = {"HOME": "/root", "LANG": "C.UTF-8", "PYTHONPATH": "/x"}
    key = address.start_key(base)
    # neither hsmshell's settings nor secrets nor the time zone (the fork re-reads TZ)
    assert address.start_key({**base, "HSMSHELL_HOME": "/other", "SECRET_PW": "x", "TZ": "UTC"}) == key
    for changed in ({"LANG": "C"}, {"LC_ALL": "de_DE.UTF-8"}, {"PYTHONPATH": "/y"}, {"LD_PRELOAD": "x.so"},
                    {"OPENSSL_CONF": "/etc/x.cnf"}, {"GLIBC_TUNABLES": "x=1"}):
        assert address.start_key({**base, **changed}) != key
    other = address.start_key({**base, "LANG": "C"})
    assert address.socket_path(base, key) != address.socket_path(base, other)


def test_an_undecodable_environment_value_still_makes_a_key():
    environ = {"LC_FOO": "\udcff", "LANG": "C"}              # os.environ's form of the byte 0xff
    assert address.socket_path(environ, address.start_key(environ))


def test_a_request_round_trips():
    environ = {"A": "1", "EMPTY": "", "EQ": "a=b", "ODD": "caf\udce9"}
    header = address.encode_header("the key\nLC_X=\udcff", True, 10, [(7, 1024), (0, -1)])
    assert int.from_bytes(header[:4], "big") == len(header) - 4
    assert address.decode_header(header[4:]) == {"key": "the key\nLC_X=\udcff", "terminal": True,
                                                 "priority": 10, "hard_limits": [(7, 1024), (0, -1)]}
    body = address.encode_body(["-c", "listUsers; x=1", ""], environ, umask=0o027, pid=41, pgrp=42, priority=5,
                               ignored=[1, 2], limits=[(7, 1024, -1), (0, -1, -1)])
    assert int.from_bytes(body[:4], "big") == len(body) - 4
    assert address.decode_body(body[4:]) == {
        "umask": 0o027, "pid": 41, "pgrp": 42, "priority": 5, "ignored": [1, 2], "limits": [(7, 1024, -1), (0, -1, -1)],
        "argv": ["-c", "listUsers; x=1", ""], "environ": environ}


def _body(argv=("-c", "x"), environ=None) -> bytes:
    return address.encode_body(list(argv), environ or {"A": "1"}, umask=0o22, pid=1, pgrp=1, priority=0,
                               ignored=[], limits=[])[4:]


@given(st.binary(max_size=300))
def test_a_malformed_header_is_refused_with_value_error(data):
    try:
        header = address.decode_header(data)
    except ValueError:
        return
    assert data.startswith(address.PROTOCOL + b"\0") and set(header) == {"key", "terminal", "priority",
                                                                          "hard_limits"}


@given(st.integers(min_value=0, max_value=400), st.binary(max_size=12))
def test_a_damaged_body_is_refused_with_value_error_or_read_whole(cut, junk):
    """Structured damage (cut short, junk spliced in): a ValueError that names no content, or
    a body whose every field is well-formed."""
    body = _body(["-c", "loginHSM CO admin S3cret"], {"A": "1", "B": "2"})
    damaged = body[:cut] + junk + body[cut + len(junk):]
    try:
        request = address.decode_body(damaged)
    except ValueError as error:
        assert "S3cret" not in str(error) and "loginHSM" not in str(error)
        return
    assert all(isinstance(arg, str) for arg in request["argv"])
    assert all(len(limit) == 3 for limit in request["limits"])


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))), max_size=5))
def test_any_argv_round_trips(argv):
    assert address.decode_body(_body(argv))["argv"] == argv


def test_the_runtime_folder_must_be_private(tmp_path):
    folder = tmp_path / "hsmshell"
    assert address.private_dir(str(folder), create=True)
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o755)
    assert not address.private_dir(str(folder), create=True)
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    assert not address.private_dir(str(link), create=False)
    assert not address.private_dir(str(tmp_path / "missing" / "hsmshell"), create=True)


def test_runtime_folder_choice(tmp_path):
    assert address.runtime_dir({"HSMSHELL_RUNTIME_DIR": "/a", "XDG_RUNTIME_DIR": "/b"}) == "/a/hsmshell"
    assert address.runtime_dir({"XDG_RUNTIME_DIR": "/b"}) == "/b/hsmshell"
    assert address.runtime_dir({}) == f"/tmp/hsmshell-{os.getuid()}"


def test_the_code_fingerprint_sees_edits_new_files_and_upgrades(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    module = package / "sub" / "mod.py"
    module.write_text("A = 1\n")
    fingerprint = CodeFingerprint(str(package))
    assert not fingerprint.changed()
    module.write_text("A = 2\n")                 # same size, new content: mtime moves
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert fingerprint.changed()
    fingerprint = CodeFingerprint(str(package))
    (package / "sub" / "new.py").write_text("")  # a new module: its folder changed
    assert fingerprint.changed()
    fingerprint = CodeFingerprint(str(package))
    replacement = package / "sub" / "mod.py.new"
    replacement.write_text("A = 1\n")
    os.utime(replacement, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns))
    replacement.replace(module)                  # pip's way: a new file in its place
    assert fingerprint.changed()


def test_a_server_takes_only_what_a_fork_of_it_can_give():
    """A fork can lower limits and priority, never raise them: a caller allowed more runs its
    command itself."""
    import resource
    here = os.getpriority(os.PRIO_PROCESS, 0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert _can_give(here, [(resource.RLIMIT_NOFILE, hard)])
    assert _can_give(here + 5, [(resource.RLIMIT_NOFILE, max(hard // 2, 1))])
    if hard != resource.RLIM_INFINITY:
        assert not _can_give(here, [(resource.RLIMIT_NOFILE, hard + 1)])
        assert not _can_give(here, [(resource.RLIMIT_NOFILE, resource.RLIM_INFINITY)])
    if here > -20:
        assert not _can_give(here - 1, [])


def test_a_server_refuses_what_it_must_not_run():
    """Before any fork gets a request: another start key, another sandbox (namespaces), code
    changed on disk since the imports, or the wrong descriptors are each refused in words."""
    from hsmshell.warmstart.server import Server, _namespaces

    class Code:
        stale = False

        def changed(self) -> bool:
            return self.stale
    server = object.__new__(Server)             # only what _refusal reads
    server.key, server.code, server.namespaces = "k", Code(), _namespaces("self")
    here = {"key": "k", "terminal": False, "priority": os.getpriority(os.PRIO_PROCESS, 0), "hard_limits": []}
    me = os.getpid()
    assert server._refusal(here, me, 4) is None
    assert server._refusal({**here, "terminal": True}, me, 5) is None
    assert server._refusal({**here, "key": "other"}, me, 4) == b"R other\n"
    assert server._refusal(here, me, 5) == b"R malformed\n"
    server.namespaces = tuple(0 for _ in server.namespaces)      # a peer in another sandbox
    assert server._refusal(here, me, 4) == b"R other\n"
    server.namespaces = _namespaces("self")
    server.code.stale = True
    assert server._refusal(here, me, 4) == b"R stale\n"
