"""HSM users: who is logged in, how user types are spelled, and the rules for names and
passwords that every layer checks the same way."""

from __future__ import annotations

import re
from enum import StrEnum


class UserType(StrEnum):
    """The HSM's user types, as CMU spells them (a StrEnum: equal to those strings)."""
    PRECO = "PRECO"          # the cluster's first officer, before activation
    PCO = "PCO"              # that officer once activated (changePswd PRECO ...): a CO
    CO = "CO"                # crypto officer: manages users
    CU = "CU"                # crypto user: owns and uses keys
    AU = "AU"                # appliance user (app_user): clones and syncs


OFFICERS = frozenset({UserType.CO, UserType.PCO})
CRYPTO_USERS = frozenset({UserType.CU})
LOGGED_IN = frozenset(UserType)
CREATABLE = (UserType.CO, UserType.CU, UserType.PCO)     # createUser takes PCO as CO

from hsmshell.errors import InvalidArgument
from hsmshell.record import record

# how a user type may be written (CMU is case-sensitive; preCO is CMU's own spelling)
USER_TYPES = {**{t.value: t for t in UserType}, "preCO": UserType.PRECO}
USER_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,31}$")
MIN_LENGTH, MAX_LENGTH = 7, 32          # password length (docs/architecture.md: Passwords)


@record(frozen=True)
class Principal:
    name: str
    user_type: str          # as the HSM reports it: PRECO, PCO, CO, CU, AU
    user_id: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.user_type})"


# Checked by the shell before it asks anything else or sends anything (a too-short new
# password was found only after the CAUTION question; an empty one cost a login attempt).
def check_new_password(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        # the message never holds the password, nor its exact length
        raise InvalidArgument(f"passwords are {MIN_LENGTH} to {MAX_LENGTH} characters long; "
                              f"this one is too {'short' if len(password) < MIN_LENGTH else 'long'}")


def check_given_password(password: str) -> None:
    if not password:
        raise InvalidArgument("the password is empty; nothing was sent to the HSM",
                              hint="type the password, or give it as @env:VAR, @file:PATH or @keyring")
