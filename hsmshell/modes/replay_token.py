"""`audit replay` of a token's log (`--backend pkcs11`; its genesis says backend pkcs11): the
recorded commands run again on a fresh token that the replay's own options name
(--pkcs11-module/--token, as for the shell), through a fresh handle map, so handles come out
as they did on a token that was fresh when the log began.

A token's PINs cannot be made up as the emulator's stand-in passwords are: the fresh token has
the PINs it was initialized with. Give them as $HSMSHELL_REPLAY_USER_PIN and
$HSMSHELL_REPLAY_SO_PIN; a recorded PIN whose salted HMAC (under the log's own HMAC key) equals
one of theirs is replayed as that PIN, every other secret by its stand-in as usual (so a wrong
PIN is wrong again, and a PIN changed by changePswd is the stand-in from then on).
"""

from __future__ import annotations

from pathlib import Path

from hsmshell.errors import ConfigError

PIN_VARIABLES = ("HSMSHELL_REPLAY_USER_PIN", "HSMSHELL_REPLAY_SO_PIN")


class FreshToken:
    def __init__(self, env, home: Path, log_folder: Path):
        from hsmshell.audit.keys import SecretHasher

        if env.backend != "pkcs11" or not (env.pkcs11.get("token") or env.environ.get("HSMSHELL_PKCS11_TOKEN")):
            raise ConfigError("this log is a PKCS#11 token's: replay it on a fresh token",
                              hint="hsmshell --backend pkcs11 --pkcs11-module PATH --token FRESH "
                                   "audit replay LOG, with $HSMSHELL_REPLAY_USER_PIN and "
                                   "$HSMSHELL_REPLAY_SO_PIN (docs/pkcs11.md)")
        self.env, self.home = env, home
        pins = [env.environ[name] for name in PIN_VARIABLES if env.environ.get(name)]
        try:
            hasher = SecretHasher(log_folder)
            self.pins = {hasher(pin): pin for pin in pins}
        except Exception as exc:        # noqa: BLE001 - an exported log has no HMAC key beside it
            raise ConfigError(f"replaying a token's log needs its HMAC key beside it ({exc})",
                              hint="replay the log in its state folder") from None

    def backend(self):
        from hsmshell.record import replace
        from hsmshell.clusters import open_backend
        return open_backend(replace(self.env, home=self.home))

    def secret(self, recorded: str, stand_in: str) -> str:
        return self.pins.get(recorded, stand_in)
