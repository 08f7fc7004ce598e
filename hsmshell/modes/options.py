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

    environ = dict(os.environ)
    home = resolve_home(options.home, environ)
    if options.backend == "pkcs11":      # a token keeps its own state folder and audit log
        from hsmshell.backends.pkcs11.settings import state_folder_name
        default = state_folder_name(options.pkcs11_token or environ.get("HSMSHELL_PKCS11_TOKEN"))
    else:
        default = configured_cluster(home) or "default"
    return Environment(
        home=home, environ=environ,
        cluster=options.cluster or environ.get("HSMSHELL_CLUSTER") or default,
        on_server_failure=configured_choice(options.on_server_failure, environ),
        roles_dir=Path(options.roles) if options.roles else None, backend=options.backend,
        output=options.output, color=not options.no_color, assume_yes=options.yes,
        pkcs11={"module": options.pkcs11_module, "token": options.pkcs11_token,
                "profile": options.pkcs11_profile})
