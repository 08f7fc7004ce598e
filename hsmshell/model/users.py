"""HSM users: who is logged in, how user types are spelled, and the rules for names and
passwords that every layer checks the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
