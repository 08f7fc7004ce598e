"""The pkcs11 backend: hsmshell's policy, quorum and audit in front of a PKCS#11 token
(SoftHSM2 in the tests, CloudHSM's SDK 5 library, a YubiHSM 2).

Which module and token: settings.py; the token link (module, sessions, mechanisms):
token.py; stable handles across processes: handles.py; CKR_* errors: errors.py. The
handlers: session.py (login, PINs), keys.py (generate, find, attributes, delete),
transfer.py (import, export, wrap) and use.py (sign, verify). What a token has no notion of
(users tables, sharing, quorum tokens, cluster topology) answers `not-supported-by-backend`.

A token keeps no quorum of its own: quorum.toml services are enforced by the shell's policy
step alone (with M = 1 here, as no setMValue can reach a token), which is then the only guard.
"""

from __future__ import annotations

from hsmshell.backends.pkcs11.errors import NotSupportedByBackend
from hsmshell.backends.pkcs11.settings import Pkcs11Settings
from hsmshell.backends.pkcs11.token import TokenLink
from hsmshell.backends.result import Result, ServerStatus

HANDLER_MODULES = ("hsmshell.backends.pkcs11.session", "hsmshell.backends.pkcs11.keys",
                   "hsmshell.backends.pkcs11.transfer", "hsmshell.backends.pkcs11.use",
                   "hsmshell.backends.shellside")
# The commands a token can serve (help and completion show only these, with the shell's own)
SUPPORTED = frozenset({
    "loginHSM", "logoutHSM", "changePswd",
    "genSymKey", "genRSAKeyPair", "genECCKeyPair", "findKey", "findSingleKey", "getKeyInfo",
    "getAttribute", "setAttribute", "listAttributes", "deleteKey",
    "exportPubKey", "importPubKey", "importPrivateKey", "exportPrivateKey", "wrapKey", "unWrapKey",
    "sign", "verify", "signToken",
})


def handlers() -> dict:
    import importlib
    found: dict = {}
    for module in HANDLER_MODULES:
        found.update(importlib.import_module(module).HANDLERS)
    return found


class Pkcs11Backend:
    name = "pkcs11"
    transactional = False          # the token is not in the cluster database
    supported = SUPPORTED

    def __init__(self, env):
        self.env = env
        self.link = TokenLink(Pkcs11Settings.from_env(env))
        self.principal = None
        self.pin: str | None = None
        self.objects: dict[int, object] = {}       # handle -> object of this login's session
        self._handles = None
        self._handlers: dict | None = None

    @property
    def handles(self):
        if self._handles is None:
            from hsmshell.backends.pkcs11.handles import HandleMap
            self._handles = HandleMap(self.env.home, self.link.serial)
        return self._handles

    def execute(self, invocation, secrets: dict[str, str]) -> Result:
        name = invocation.spec.name
        if name not in SUPPORTED:
            raise unsupported(name)
        if self._handlers is None:
            self._handlers = handlers()
        return self._handlers[name](self, invocation.args, secrets)

    def token_status(self) -> ServerStatus:
        return ServerStatus(0, f"token-{self.link.serial}", self.link.label)

    def end_login(self) -> None:
        self.principal, self.pin = None, None
        self.objects.clear()
        self.link.logout()

    def summary(self) -> dict:
        token = self.env.environ.get("HSMSHELL_PKCS11_TOKEN") or getattr(self.link.settings, "token", None)
        return {"cluster": token or self.env.cluster, "cluster_id": None, "state": None,
                "backend": self.name, "hsms_total": 1, "hsms_reachable": 1 if self.link.token else 0,
                "hsms": [{"server": 0, "hsm": f"token-{self.link.serial}" if self.link.token else None,
                          "ip": None, "az": None, "state": "ACTIVE"}]}

    def user_names(self) -> list[str]:
        return [self.principal.name] if self.principal else []

    # QuorumLedger: a token keeps no quorum; M is 1 for every service (see the module doc)
    def m_value(self, service_id: int) -> int:
        return 1

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        return 0, False

    def key_quorum(self, key_handle: int) -> int:
        return 0

    def pending_tokens(self) -> list[dict]:
        return []

    def close(self) -> None:
        self.principal, self.pin = None, None
        self.objects.clear()
        try:
            self.link.close()
        finally:
            if self._handles is not None:
                self._handles.close()


def unsupported(command: str) -> NotSupportedByBackend:
    return NotSupportedByBackend(
        f"{command} is not supported by the pkcs11 backend: a PKCS#11 token has no "
        f"{_what_lacks(command)}", hint="the emulator and cloudhsm backends serve it "
        "(--backend emulator|cloudhsm)")


def _what_lacks(command: str) -> str:
    if command in ("shareKey",):
        return "key sharing (one user per token)"
    if "User" in command:
        return "table of users (one user and one security officer per token)"
    if "Token" in command or "MValue" in command:
        return "quorum (M of N) of its own"
    return "such operation"
