"""Defaults from `$XDG_CONFIG_HOME/hsmshell/config.toml` (else ~/.config/hsmshell/config.toml).
The command line wins over the environment, which wins over this file:

    cluster = "prod"                  # as --cluster / HSMSHELL_CLUSTER
    output = "classic"                # rich | json | classic
    pager = false                     # page long output on a terminal (default true)
    color = false                     # as --no-color / NO_COLOR
    on_server_failure = "ignore"      # as --on-server-failure
    allow_insecure_keyring = true     # as HSMSHELL_ALLOW_INSECURE_KEYRING=1

An unknown key or a value of the wrong kind is `invalid-config` (exit 2), naming the file."""

from __future__ import annotations

import os
from pathlib import Path

from hsmshell.errors import ConfigError

KEYS = {"cluster": str, "output": str, "pager": bool, "color": bool, "on_server_failure": str,
        "allow_insecure_keyring": bool}
CHOICES = {"output": ("rich", "json", "classic"), "on_server_failure": ("abort", "ignore")}


def config_path(environ: dict) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME", "~"), ".config")
    return Path(base).expanduser() / "hsmshell" / "config.toml"


def load_config(environ: dict) -> dict:
    path = config_path(environ)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    import tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    for key, value in data.items():
        kind = KEYS.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown setting '{key}'", hint="settings: " + ", ".join(KEYS))
        if not isinstance(value, kind) or (key in CHOICES and value not in CHOICES[key]):
            wanted = " or ".join(CHOICES[key]) if key in CHOICES else kind.__name__
            raise ConfigError(f"{path}: {key} must be {wanted}")
    return data
