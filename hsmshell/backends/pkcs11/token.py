"""The link to one PKCS#11 token: the module, the token (by label or serial), its sessions
and the mechanisms it offers.

A PKCS#11 login belongs to the process, and object handles live as long as a session, so
the link keeps one read/write session per login and nothing else: stable handles are
handles.py's business. A module that will not load, or a token that is not there, is
`hsm-unavailable` (exit 5) naming the tokens that are.
"""

from __future__ import annotations

from pathlib import Path

from hsmshell.backends.pkcs11.errors import token_call
from hsmshell.backends.pkcs11.settings import Pkcs11Settings, profile_for
from hsmshell.errors import BackendUnavailable, ConfigError
from hsmshell.record import field, record

_OPEN_LINKS: dict[str, int] = {}        # module path -> links using it in this process


def load_module(path: str | None):
    """The module, initialized (C_Initialize). Each link releases it (release_module); the
    last one finalizes it, so the next shell re-reads the module's configuration (for
    SoftHSM2, $SOFTHSM2_CONF) as a new process would."""
    if not path:
        raise ConfigError("the pkcs11 backend needs a PKCS#11 module",
                          hint="--pkcs11-module /usr/lib/softhsm/libsofthsm2.so (or $HSMSHELL_PKCS11_MODULE)")
    if not Path(path).is_file():
        raise BackendUnavailable(f"PKCS#11 module {path} does not exist",
                                 hint="--pkcs11-module names the vendor's .so file, e.g. "
                                      "/usr/lib/softhsm/libsofthsm2.so")
    import pkcs11
    try:
        library = pkcs11.lib(path)
    except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise BackendUnavailable(f"PKCS#11 module {path} did not load or initialize: {detail}",
                                 hint="is it a PKCS#11 library for this machine, with its "
                                      "configuration in place (SoftHSM2: $SOFTHSM2_CONF)?") from None
    _OPEN_LINKS[path] = _OPEN_LINKS.get(path, 0) + 1
    return library


def release_module(path: str, library) -> None:
    _OPEN_LINKS[path] = _OPEN_LINKS.get(path, 1) - 1
    if _OPEN_LINKS[path] <= 0:
        del _OPEN_LINKS[path]
        try:
            library.finalize()
        except Exception:      # noqa: BLE001 - a module that fails to finalize changes nothing here
            pass


def _text(value) -> str:
    return (value.decode(errors="replace") if isinstance(value, bytes) else str(value)).strip()


@record
class TokenLink:
    settings: Pkcs11Settings
    library: object = None
    token: object = None
    profile: str = "generic"
    session: object = None                 # the logged-in read/write session, or None
    mechanisms: set = field(default_factory=set)
    plans: dict = field(default_factory=dict)       # KMU sign mechanism id -> mechanisms.Plan

    def connect(self) -> "TokenLink":
        """Load the module and find the token (once)."""
        if self.token is not None:
            return self
        self.library = load_module(self.settings.module)
        with token_call("listing the tokens"):
            tokens = [slot.get_token() for slot in self.library.get_slots(token_present=True)]
        tokens = [t for t in tokens if t.flags & 0x400]        # CKF_TOKEN_INITIALIZED
        wanted = self.settings.token
        if not wanted:
            raise ConfigError("the pkcs11 backend needs a token", hint="--token LABEL or SERIAL "
                              f"(or $HSMSHELL_PKCS11_TOKEN); {self._listing(tokens)}")
        found = [t for t in tokens if wanted in (_text(t.label), _text(t.serial))]
        if not found:
            raise BackendUnavailable(f"no token '{wanted[:40]}' in {self.settings.module}",
                                     hint=self._listing(tokens))
        if len(found) > 1:
            raise ConfigError(f"{len(found)} tokens are labelled '{wanted[:40]}'",
                              hint="name it by serial: " + self._listing(found))
        self.token = found[0]
        self.profile = profile_for(_text(self.token.manufacturer_id), self.settings.profile)
        return self

    @staticmethod
    def _listing(tokens) -> str:
        if not tokens:
            return "the module has no initialized token (softhsm2-util --init-token --free ...)"
        return "tokens: " + ", ".join(f"{_text(t.label)} (serial {_text(t.serial)})" for t in tokens)

    @property
    def serial(self) -> str:
        return _text(self.connect().token.serial)

    @property
    def label(self) -> str:
        return _text(self.connect().token.label)

    def login(self, officer: bool, pin: str) -> None:
        self.connect()
        with token_call("C_Login"):
            if officer:
                self.session = self.token.open(rw=True, so_pin=pin)
            else:
                self.session = self.token.open(rw=True, user_pin=pin)
        self.probe()

    def logout(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            with token_call("C_Logout"):
                session.close()

    def close(self) -> None:
        try:
            self.logout()
        finally:
            if self.library is not None:
                library, self.library, self.token = self.library, None, None
                release_module(self.settings.module, library)

    def probe(self) -> None:
        """The mechanisms the token offers (asked once per login): mechanisms.py picks from them."""
        with token_call("C_GetMechanismList"):
            self.mechanisms = set(self.token.slot.get_mechanisms())
        self.plans.clear()

    def sign_plan(self, mechanism_id: int):
        """How this token serves KMU sign/verify mechanism `mechanism_id` (chosen once per login)."""
        chosen = self.plans.get(mechanism_id)
        if chosen is None:
            from hsmshell.backends.pkcs11.mechanisms import plan
            chosen = self.plans[mechanism_id] = plan(mechanism_id, self.mechanisms)
        return chosen
