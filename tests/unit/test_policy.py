"""policy: a truth table over every role file x every action id of the command table, and the
errors of loading role files.

The rows are generated from roles/ and the table, so they grow as commands are added. The
expected answers are written out only for the actions whose permissions AWS's documentation states
(user management and sessions: AWS's CMU permission table, plus what PRECO and
an unauthenticated session may do); for the others the table checks the engine's own
consistency (deny wins, the rule names the file, refusals say who may).
"""

from __future__ import annotations

import shutil
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from hsmshell.backends.emulator import firmware
from hsmshell.model.hsm_rules import ANYONE
from hsmshell.commands import command_table
from hsmshell.errors import ConfigError
from hsmshell.model.users import Principal
from hsmshell.policy import decide, load_policy
from hsmshell.policy.roles import ANONYMOUS, default_roles_dir

TABLE = command_table()
ACTIONS = sorted(TABLE.actions())
ROLES_DIR = default_roles_dir()
POLICY = load_policy(None, TABLE.actions())
ROLE_FILES = sorted(p.name for p in ROLES_DIR.glob("*.toml") if p.name != "quorum.toml")

# Who may do what (Y = allowed). Columns: anonymous (no login), PRECO, CO, PCO, CU, AU.
COLUMNS = (ANONYMOUS, "PRECO", "CO", "PCO", "CU", "AU")
EXPECTED = {
    #                       anon PRECO  CO  PCO  CU   AU
    "session.login":        "Y    Y     Y   Y    Y    Y",   # already logged in: the HSM says so
    "session.logout":       "-    Y     Y   Y    Y    Y",
    "user.list":            "Y    Y     Y   Y    Y    Y",   # "all, no login"
    "hsm.info":             "Y    Y     Y   Y    Y    Y",   # basic cluster info: everyone
    "user.password.self":   "-    Y     Y   Y    Y    Y",   # change own password
    "user.password.other":  "-    -     Y   Y    -    -",   # change any user's password: CO
    "user.create":          "-    -     Y   Y    -    -",   # add, remove users: CO
    "user.delete":          "-    -     Y   Y    -    -",
    "cluster.activate":     "Y    Y     -   -    -    -",   # SDK 5: activation (PRECO's password)
    "shell.help":           "Y    Y     Y   Y    Y    Y",   # the shell's own commands
    "shell.whoami":         "Y    Y     Y   Y    Y    Y",
    "shell.status":         "Y    Y     Y   Y    Y    Y",
    "shell.quit":           "Y    Y     Y   Y    Y    Y",
}


def principal(role: str) -> Principal | None:
    return None if role == ANONYMOUS else Principal(f"{role.lower()}_user", role, 7)


class _Spec:
    """The smallest command spec `decide` needs: one fixed action id."""

    def __init__(self, action: str):
        self.name = f"<{action}>"
        self.action = action

    def action_for(self, args, principal):
        return self.action


def role_of(column: str):
    return POLICY.role(column)


# -- the truth table -----------------------------------------------------------------------------
@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("column", COLUMNS)
def test_default_roles_reproduce_the_aws_permission_table(action, column):
    assert action in ACTIONS, f"{action} is no longer in the command table"
    wanted = EXPECTED[action].split()[COLUMNS.index(column)] == "Y"
    decision = decide(POLICY, principal(column), _Spec(action), {})
    assert decision.allowed is wanted, decision.rule
    if not wanted:
        assert decision.reference == ("not-logged-in" if column == ANONYMOUS else "permission-denied")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role_file", ROLE_FILES)
def test_every_role_file_decides_every_action_by_a_rule_of_its_own(role_file, action):
    role = next(r for r in POLICY.roles.values() if r.source == role_file)
    allowed, rule = role.rule_for(action)
    assert rule.startswith(f"{role_file}: ")
    if allowed:
        assert not any(fnmatchcase(action, p) for p in role.deny), "deny must win"
        assert role.name in POLICY.roles_allowing(action)
    else:
        assert role.name not in POLICY.roles_allowing(action)
    who = principal(role.name if role.name != ANONYMOUS else ANONYMOUS)
    decision = decide(POLICY, who, _Spec(action), {})
    if not allowed:
        assert not decision.allowed and decision.rule == rule
        assert decision.message and decision.hint


FIRMWARE_RULES = firmware.rules_by_action(TABLE)       # as the specs declare them


@pytest.mark.parametrize("action", sorted(set(FIRMWARE_RULES) & set(EXPECTED)))
@pytest.mark.parametrize("column", COLUMNS)
def test_the_default_policy_never_allows_what_the_firmware_refuses(action, column):
    """roles/ can only narrow what the HSM itself permits; for user management and sessions
    the default files match it exactly."""
    firmware_allows = FIRMWARE_RULES[action]
    who = principal(column)
    if decide(POLICY, who, _Spec(action), {}).allowed and firmware_allows is not ANYONE:
        assert who is not None and who.user_type in firmware_allows


def test_a_refusal_names_the_rule_and_what_would_allow_it():
    spec = TABLE.lookup("createUser")
    decision = decide(POLICY, Principal("alice", "CU", 3), spec, {"user_name": "bob"})
    assert decision.reference == "permission-denied"
    assert decision.message == "createUser needs role CO; you are alice (CU)"
    assert decision.rule == "cu.toml: no allow entry matches user.create"
    assert decision.hint == "log in as CO to run it"
    anonymous = decide(POLICY, None, spec, {})
    assert anonymous.reference == "not-logged-in"
    assert anonymous.message == "createUser needs a login as CO; nobody is logged in"


def test_changing_your_own_password_and_another_users_are_different_actions():
    spec = TABLE.lookup("changePswd")
    alice = Principal("alice", "CU", 3)
    assert decide(POLICY, alice, spec, {"user_name": "ALICE"}).allowed
    other = decide(POLICY, alice, spec, {"user_name": "bob"})
    assert not other.allowed and other.action == "user.password.other"


def test_pco_is_the_co_role():
    assert POLICY.role("PCO") is POLICY.role("CO")


# -- loading -------------------------------------------------------------------------------------
@pytest.fixture
def roles(tmp_path) -> Path:
    """A private copy of the default role files to break."""
    target = tmp_path / "roles"
    shutil.copytree(ROLES_DIR, target, ignore=shutil.ignore_patterns("__*"))
    return target


def load(directory):
    return load_policy(directory, TABLE.actions())


@pytest.mark.parametrize("body, words", [
    ('role = "CU"\nallow = ["user.creat"]', "allow entry 'user.creat' matches no action"),
    ('role = "CU"\nallow = ["nosuch.*"]', "allow entry 'nosuch.*' matches no action"),
    ('role = "CU"\nallow = ["user.list"]\ndeny = ["user.lst"]', "deny entry 'user.lst' matches no action"),
    ('role = "CU"\nallow = "user.list"', "allow must be a list of action ids"),
    ('allow = ["user.list"]', "missing `role = \"NAME\"`"),
    ('role = "CU"\nallow = ["user.list"]\nalow = []', "unknown key(s) alow"),
    ('role = "CU"\nallow = ["user.list"', "cannot read role file"),
    ('role = "CU"\nallow = ["user.list"]\naliases = "X"', "aliases must be a list"),
])
def test_a_bad_role_file_is_a_config_error_naming_the_file(roles, body, words):
    (roles / "cu.toml").write_text(body)
    with pytest.raises(ConfigError) as caught:
        load(roles)
    assert caught.value.reference == "invalid-config"
    assert caught.value.message.startswith("cu.toml: ") and words in caught.value.message


@pytest.mark.parametrize("body", ['role = "CO"\nallow = ["user.list"]', 'role = "pco"\nallow = ["user.list"]'])
def test_a_role_defined_twice_is_refused(roles, body):
    (roles / "zz_extra.toml").write_text(body)
    with pytest.raises(ConfigError, match="defined twice"):
        load(roles)


def test_a_missing_roles_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_a_role_with_no_file_is_denied_everything(roles):
    (roles / "au.toml").unlink()
    policy = load(roles)
    decision = decide(policy, Principal("app_user", "AU", 2), TABLE.lookup("listUsers"), {})
    assert not decision.allowed and decision.rule == "no role file for AU"


def test_deny_wins_over_allow_and_globs_match(roles):
    (roles / "cu.toml").write_text('role = "CU"\nallow = ["user.*", "shell.*"]\ndeny = ["user.create"]')
    policy = load(roles)
    cu = Principal("alice", "CU", 3)
    create = decide(policy, cu, TABLE.lookup("createUser"), {})
    assert not create.allowed and create.rule == "cu.toml: deny user.create"
    assert decide(policy, cu, TABLE.lookup("deleteUser"), {}).rule == "cu.toml: allow user.*"


def test_a_bad_quorum_file_is_refused(roles):
    (roles / "quorum.toml").write_text('[services.USER_MGMT]\nid = 3\nactions = ["user.nothing"]')
    with pytest.raises(ConfigError, match="quorum.toml: actions entry 'user.nothing' matches no action"):
        load(roles)
