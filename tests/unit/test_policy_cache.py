"""policy/cache.py: a start reads the compiled policy from the state dir, and only a cache that
is exactly what the role files compile to now, written by this state dir's key, is believed."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from hsmshell.commands import command_table
from hsmshell.policy import cache, roles
from hsmshell.policy.roles import default_roles_dir, load_policy

ACTIONS = command_table().actions()


def _same(one, other) -> bool:
    return (one.directory == other.directory and one.roles.keys() == other.roles.keys()
            and all(one.roles[k] == other.roles[k] for k in one.roles)
            and one.quorum == other.quorum)


@pytest.fixture
def role_dir(tmp_path):
    target = tmp_path / "roles"
    shutil.copytree(default_roles_dir(), target)
    return target


def _no_compiling(monkeypatch):
    def refuse(*args):
        raise AssertionError("compiled the role files although the cache holds them")
    monkeypatch.setattr(roles, "_compile", refuse)


def test_a_second_start_reads_the_cached_policy_it_equals(tmp_path, role_dir, monkeypatch):
    compiled = load_policy(role_dir, ACTIONS)
    first = load_policy(role_dir, ACTIONS, cache_home=tmp_path / "home")
    assert _same(first, compiled)
    assert oct((tmp_path / "home" / cache.CACHE_FILE).stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "home" / cache.KEY_FILE).stat().st_mode & 0o777) == "0o600"
    _no_compiling(monkeypatch)
    second = load_policy(role_dir, ACTIONS, cache_home=tmp_path / "home")
    assert _same(second, compiled)
    assert second.role("cu").rule_for("user.list") == compiled.role("cu").rule_for("user.list")
    assert {s.name for s in second.quorum.values()} == {s.name for s in compiled.quorum.values()}


def test_an_edited_role_file_is_read_again_even_with_the_same_size_and_time(tmp_path, role_dir):
    home = tmp_path / "home"
    assert load_policy(role_dir, ACTIONS, cache_home=home).role("anonymous").rule_for("user.list")[0]
    path = role_dir / "anonymous.toml"
    stat = path.stat()
    text = path.read_text()
    edited = text.replace('"user.list"', '"user.lis*"')       # the same size
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_policy(role_dir, ACTIONS, cache_home=home).role("anonymous").rule_for("user.list")[1] \
        == "anonymous.toml: allow user.lis*"
    path.write_text(text.replace('"user.list", ', "").replace(', "user.list"', "").replace('"user.list"', ""))
    assert not load_policy(role_dir, ACTIONS, cache_home=home).role("anonymous").rule_for("user.list")[0]


def test_a_changed_cache_is_never_believed(tmp_path, role_dir):
    home = tmp_path / "home"
    honest = load_policy(role_dir, ACTIONS, cache_home=home)
    assert not honest.role("anonymous").rule_for("user.create")[0]
    path = home / cache.CACHE_FILE
    mac, _, body = path.read_bytes().partition(b"\n")
    planted = json.loads(body)
    for role in planted["policy"]["roles"]:
        role[2] = ["*"]                                     # everybody may do everything
    path.write_bytes(mac + b"\n" + json.dumps(planted, sort_keys=True).encode())
    again = load_policy(role_dir, ACTIONS, cache_home=home)
    assert not again.role("anonymous").rule_for("user.create")[0] and _same(again, honest)
    assert path.read_bytes().partition(b"\n")[2] != json.dumps(planted, sort_keys=True).encode()   # rewritten


def _counting(monkeypatch) -> list:
    calls: list = []
    real = roles._compile
    monkeypatch.setattr(roles, "_compile", lambda *args: calls.append(1) or real(*args))
    return calls


def test_a_cache_signed_with_another_key_or_a_damaged_key_is_not_believed(tmp_path, role_dir, monkeypatch):
    home = tmp_path / "home"
    load_policy(role_dir, ACTIONS, cache_home=home)
    calls = _counting(monkeypatch)
    (home / cache.KEY_FILE).write_bytes(os.urandom(cache.KEY_BYTES))      # not the key that signed it
    load_policy(role_dir, ACTIONS, cache_home=home)
    (home / cache.KEY_FILE).write_bytes(b"short")
    load_policy(role_dir, ACTIONS, cache_home=home)
    (home / cache.KEY_FILE).unlink()
    (tmp_path / "elsewhere.key").write_bytes(os.urandom(cache.KEY_BYTES))
    (home / cache.KEY_FILE).symlink_to(tmp_path / "elsewhere.key")      # a planted link: not read
    load_policy(role_dir, ACTIONS, cache_home=home)
    assert calls == [1, 1, 1]


def test_a_state_dir_that_cannot_keep_it_only_costs_speed(tmp_path, role_dir):
    home = tmp_path / "home"
    home.mkdir()
    (home / cache.CACHE_FILE).mkdir()                 # not a file: the cache cannot be written
    policy = load_policy(role_dir, ACTIONS, cache_home=home)
    assert _same(policy, load_policy(role_dir, ACTIONS))


def test_a_bad_role_file_is_refused_whatever_the_cache_holds(tmp_path, role_dir):
    from hsmshell.errors import ConfigError
    home = tmp_path / "home"
    load_policy(role_dir, ACTIONS, cache_home=home)
    (role_dir / "cu.toml").write_text('role = "CU"\nallow = ["no.such.action"]\n')
    with pytest.raises(ConfigError, match="matches no action"):
        load_policy(role_dir, ACTIONS, cache_home=home)


def test_a_hidden_toml_file_is_no_role_file_as_before_the_cache(tmp_path, role_dir):
    # the role files were `directory.glob("*.toml")`, which skips dot files (`._admin.toml`
    # of a macOS copy, an editor's `.admin.toml`); reading the folder for the cache key must not
    # start compiling them into roles
    (role_dir / ".hidden.toml").write_text('role = "sneaky"\nallow = ["*"]\n')
    expected = load_policy(default_roles_dir(), ACTIONS)
    for home in (None, tmp_path / "home"):
        policy = load_policy(role_dir, ACTIONS, cache_home=home)
        assert policy.roles.keys() == expected.roles.keys()
