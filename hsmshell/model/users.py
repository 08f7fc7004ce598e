"""HSM users: who is logged in, how user types are spelled, and the rules for names and
passwords that every layer checks the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hsmshell.errors import InvalidArgument

# how a user type may be written (CMU is case-sensitive; preCO is CMU's own spelling)
USER_TYPES = {"CO": "CO", "CU": "CU", "PCO": "PCO", "PRECO": "PRECO", "preCO": "PRECO", "AU": "AU"}
USER_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,31}$")
MIN_LENGTH, MAX_LENGTH = 7, 32          # password length (docs/architecture.md: Passwords)


@dataclass(frozen=True)
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
