"""Which PKCS#11 module and token the pkcs11 backend drives, and how a login becomes a PIN.

Each option is also an environment variable (the option wins):
  --pkcs11-module PATH     HSMSHELL_PKCS11_MODULE   the vendor's PKCS#11 library (.so)
  --token LABEL|SERIAL     HSMSHELL_PKCS11_TOKEN    the token, by label or serial number
  --pkcs11-profile NAME    HSMSHELL_PKCS11_PROFILE  softhsm | cloudhsm | yubihsm | generic;
                                                    default: from the token's manufacturer
A profile turns `loginHSM <type> <user> <password>` into the PIN the vendor documents:
the password alone (SoftHSM, generic), `<user>:<password>` (CloudHSM SDK 5), or the
4-hex-digit authentication-key id followed by the password (YubiHSM 2).
"""

from __future__ import annotations

import re

from hsmshell.errors import ConfigError, InvalidArgument
from hsmshell.record import record

PROFILES = ("softhsm", "cloudhsm", "yubihsm", "generic")
# Token manufacturer (CK_TOKEN_INFO.manufacturerID) -> profile, matched case-insensitively.
MANUFACTURERS = (("softhsm", "softhsm"), ("amazon", "cloudhsm"), ("cloudhsm", "cloudhsm"),
                 ("yubico", "yubihsm"))
YUBIHSM_KEY_ID = re.compile(r"^[0-9a-fA-F]{1,4}$")


@record(frozen=True)
class Pkcs11Settings:
    module: str | None
    token: str | None
    profile: str | None          # None: chosen from the token's manufacturer

    @classmethod
    def from_env(cls, env) -> "Pkcs11Settings":
        options = getattr(env, "pkcs11", None) or {}
        environ = env.environ
        profile = options.get("profile") or environ.get("HSMSHELL_PKCS11_PROFILE") or None
        if profile is not None and profile not in PROFILES:
            raise ConfigError(f"unknown PKCS#11 profile '{profile[:20]}'",
                              hint="--pkcs11-profile " + "|".join(PROFILES))
        return cls(module=options.get("module") or environ.get("HSMSHELL_PKCS11_MODULE") or None,
                   token=options.get("token") or environ.get("HSMSHELL_PKCS11_TOKEN") or None,
                   profile=profile)


def state_folder_name(token: str | None) -> str:
    """The state folder (the `cluster`) of a token's audit log: token-<label or serial>."""
    if not token:
        raise ConfigError("the pkcs11 backend needs a token",
                          hint="--token LABEL or SERIAL (or $HSMSHELL_PKCS11_TOKEN)")
    return "token-" + (re.sub(r"[^A-Za-z0-9_.-]", "_", token)[:58] or "_")


def profile_for(manufacturer: str, chosen: str | None) -> str:
    if chosen:
        return chosen
    lowered = manufacturer.lower()
    return next((profile for mark, profile in MANUFACTURERS if mark in lowered), "generic")


def pin_for(profile: str, user_name: str, password: str) -> str:
    """The PIN the token expects for this login (never logged, never kept on disk)."""
    if profile == "cloudhsm":
        return f"{user_name}:{password}"
    if profile == "yubihsm":
        if not YUBIHSM_KEY_ID.match(user_name):
            raise InvalidArgument(f"a YubiHSM 2 login names an authentication-key id (up to 4 hex "
                                  f"digits), not '{user_name[:31]}'", hint="loginHSM CU 0001 -hpswd")
        return f"{int(user_name, 16):04x}{password}"
    return password
