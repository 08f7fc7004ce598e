"""The global command-line options -> the Environment every mode runs in (cli.py parses them;
`emulate` re-reads them from a tool's own words)."""

from __future__ import annotations

import os


def make_environment(options):
    from hsmshell.environment import Environment
    from hsmshell.state.home import resolve_home
    from pathlib import Path

    from hsmshell.client_config import configured_cluster
    from hsmshell.server_failure import configured_choice

    from hsmshell.config_file import load_config

    environ = dict(os.environ)
    config = load_config(environ)             # the command line and the environment win
    if config.get("allow_insecure_keyring"):
        environ.setdefault("HSMSHELL_ALLOW_INSECURE_KEYRING", "1")
    if config.get("on_server_failure"):
        environ.setdefault("HSMSHELL_ON_SERVER_FAILURE", config["on_server_failure"])
    home = resolve_home(options.home, environ)
    if options.backend == "pkcs11":      # a token keeps its own state folder and audit log
        from hsmshell.backends.pkcs11.settings import state_folder_name
        default = state_folder_name(options.pkcs11_token or environ.get("HSMSHELL_PKCS11_TOKEN"))
    else:
        default = configured_cluster(home) or "default"
    return Environment(
        home=home, environ=environ,
        cluster=options.cluster or environ.get("HSMSHELL_CLUSTER") or config.get("cluster") or default,
        on_server_failure=configured_choice(options.on_server_failure, environ),
        roles_dir=Path(options.roles) if options.roles else None, backend=options.backend,
        output=options.output or config.get("output") or "rich",
        color=not options.no_color and config.get("color", True), assume_yes=options.yes,
        pager=not getattr(options, "no_pager", False) and config.get("pager", True),
        pkcs11={"module": options.pkcs11_module, "token": options.pkcs11_token,
                "profile": options.pkcs11_profile})
