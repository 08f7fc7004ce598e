"""What the audit log keeps of a secret's length (only its class against the 7..32 password
rule) and replay's stand-ins: deterministic from the HMAC, equal for equal secrets, of a
length in the recorded class."""

from __future__ import annotations

import pytest

from hsmshell.audit.keys import IN_RANGE, TOO_LONG, TOO_SHORT, length_class
from hsmshell.modes.replay_cluster import stand_in

HMACS = [f"hmac-sha256:{n:032x}" for n in range(300)]


@pytest.mark.parametrize("secret, expected", [("", TOO_SHORT), ("a" * 6, TOO_SHORT), ("a" * 7, IN_RANGE),
                                              ("a" * 32, IN_RANGE), ("a" * 33, TOO_LONG)])
def test_a_secret_is_kept_only_as_its_length_class(secret, expected):
    assert length_class(secret) == expected


@pytest.mark.parametrize("klass", [IN_RANGE, TOO_SHORT, TOO_LONG])
def test_a_stand_in_is_deterministic_and_of_its_class(klass):
    made = [stand_in(h, klass) for h in HMACS]
    assert made == [stand_in(h, klass) for h in HMACS]          # same HMAC, same stand-in
    assert {length_class(s) for s in made} == {klass}
    assert len({len(s) for s in made}) > 3                     # the length comes from the HMAC too


def test_different_secrets_get_different_stand_ins():
    assert len({stand_in(h, IN_RANGE) for h in HMACS}) == len(HMACS)


def test_a_log_without_classes_stands_in_a_valid_password():
    assert length_class(stand_in(HMACS[0], None)) == IN_RANGE
