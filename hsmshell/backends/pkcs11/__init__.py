"""The pkcs11 backend: hsmshell's policy, quorum and audit in front of a PKCS#11 token
(SoftHSM2 in the tests, CloudHSM's SDK 5 library, a YubiHSM 2).

Which module and token: settings.py; the token link (module, sessions, mechanisms):
token.py; stable handles across processes: handles.py; CKR_* errors: errors.py. The
handlers: session.py (login, PINs), keys.py (generate, find, attributes, delete),
transfer.py (import, export, wrap) and use.py (sign, verify). What a token has no notion of
(users tables, sharing, quorum tokens, cluster topology) answers `not-supported-by-backend`.

A token keeps no quorum of its own: the QuorumLedger answers of BackendBase (M = 1, no
per-key quorum) stand, and the shell's policy step (roles/) is then the only guard.
"""

from __future__ import annotations

from hsmshell.backends.base import BackendBase, not_supported
from hsmshell.backends.pkcs11.settings import Pkcs11Settings
from hsmshell.backends.pkcs11.token import TokenLink
from hsmshell.backends.result import Result
from hsmshell.model.capabilities import Capability

HANDLER_MODULES = ("hsmshell.backends.pkcs11.session", "hsmshell.backends.pkcs11.keys",
                   "hsmshell.backends.pkcs11.transfer", "hsmshell.backends.pkcs11.use")
# The commands a token can serve; help and completion show only these (and the shell's own).
# Users: only changePswd (a token has one user and one security officer, no table of users).
COMMANDS = frozenset({
    "loginHSM", "logoutHSM", "changePswd",
    "genSymKey", "genRSAKeyPair", "genECCKeyPair", "findKey", "findSingleKey", "getKeyInfo",
    "getAttribute", "setAttribute", "listAttributes", "deleteKey",
    "exportPubKey", "importPubKey", "importPrivateKey", "exportPrivateKey", "wrapKey", "unWrapKey",
    "sign", "verify",
})


def handlers() -> dict:
    import importlib
    found: dict = {}
    for module in HANDLER_MODULES:
        found.update(importlib.import_module(module).HANDLERS)
    return found


class Pkcs11Backend(BackendBase):
    name = "pkcs11"
    docs = "docs/pkcs11.md"
    capabilities = frozenset({Capability.SHELL, Capability.SESSIONS, Capability.USERS, Capability.KEYS})

    def __init__(self, env):
        self.env = env
        self.link = TokenLink(Pkcs11Settings.from_env(env))
        self.principal = None
        self.pin: str | None = None
        self.objects: dict[int, object] = {}       # handle -> object of this login's session
        self.key_types: dict[int, int] = {}         # handle -> CKA_KEY_TYPE, read once
        self._handles = None
        self._handlers: dict | None = None

    def commands(self):
        return COMMANDS

    @property
    def handles(self):
        if self._handles is None:
            from hsmshell.backends.pkcs11.handles import HandleMap
            self._handles = HandleMap(self.env.home, self.link.serial)
        return self._handles

    def execute(self, invocation, secrets: dict[str, str], context=None) -> Result:
        name = invocation.spec.name
        if name not in COMMANDS:
            raise not_supported(self, name)
        if self._handlers is None:
            self._handlers = handlers()
        return self._handlers[name](self, invocation.args, secrets)

    def end_login(self) -> None:
        self.principal, self.pin = None, None
        self.objects.clear()
        self.link.logout()

    def summary(self) -> dict:
        token = self.link.settings.token
        return {"cluster": token or self.env.cluster, "cluster_id": None, "state": "token",
                "backend": self.name, "hsms_total": 1, "hsms_reachable": 1 if self.link.token else 0,
                "hsms": [{"server": 0, "hsm": f"token-{self.link.serial}" if self.link.token else None,
                          "ip": None, "az": None, "state": "ACTIVE"}]}

    def user_names(self) -> list[str]:
        return [self.principal.name] if self.principal else []

    @staticmethod
    def why_not(command: str) -> str:
        return _why_not(command)

    def close(self) -> None:
        self.principal, self.pin = None, None
        self.objects.clear()
        try:
            self.link.close()
        finally:
            if self._handles is not None:
                self._handles.close()


def _why_not(command: str) -> str:
    if command == "shareKey":
        lacks = "key sharing (a token has one user)"
    elif "User" in command:
        lacks = "table of users (one user and one security officer per token)"
    elif "Token" in command or "MValue" in command or "Quorum" in command:
        lacks = "quorum (M of N) of its own"
    else:
        lacks = "such notion"
    return f"a PKCS#11 token has no {lacks}; the emulator and cloudhsm backends serve it"
