"""Open the shell on a cluster: the state folder, its database, audit log, policy and backend.
On first use, the emulated cluster `default` is created, as DESIGN.md asks."""

from __future__ import annotations

from pathlib import Path

from hsmshell.audit.keys import SecretHasher, create_audit_keys, key_id
from hsmshell.audit.log import AuditLog
from hsmshell.commands import command_table
from hsmshell.errors import ConfigError
from hsmshell.state.db import ClusterDB
from hsmshell.state.home import StateHome

DEFAULT_CLUSTER = "default"
DEFAULT_HSMS = 3


def create_emulated_cluster(directory: Path, name: str, hsm_count: int, clock) -> None:
    """Create the cluster's folder, keys, database and genesis audit record (idempotent)."""
    from hsmshell.backends.emulator.schema import create_tables, seed_cluster

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = ClusterDB(directory)
    try:
        with db.exclusive():
            if db.meta("cluster_id"):
                return
            create_tables(db.conn)          # executescript commits: keep it outside the transaction
            public = create_audit_keys(directory)
            audit = AuditLog(db, clock)
            hasher = SecretHasher(directory)
            with db.transaction():
                seeded = seed_cluster(db, name, hsm_count, clock())
                for user in seeded["users"]:
                    password = user.pop("password")
                    user["password"] = hasher(password) if password else None
                audit.stage({"kind": "genesis", "cluster": name, "cluster_id": seeded["cluster_id"],
                             "backend": "emulator", "hsms": seeded["hsms"], "users": seeded["users"],
                             "audit_key": public.hex(), "audit_key_id": key_id(public)})
            audit.append()
            audit.sync()
            audit.close()
    finally:
        db.close()


def open_shell(env):
    from hsmshell.pipeline import Shell
    from hsmshell.policy.roles import load_policy
    from hsmshell.render import make_renderer

    table = command_table()
    policy = load_policy(env.roles_dir, table.actions())
    home = StateHome(env.home).ensure()
    directory = home.cluster_dir(env.cluster)
    if not (directory / "state.db").is_file():
        if env.cluster != DEFAULT_CLUSTER:
            raise ConfigError(f"no cluster named '{env.cluster}' in {home.clusters}",
                              hint="hsmshell uses the emulated cluster 'default' unless told otherwise")
        create_emulated_cluster(directory, env.cluster, DEFAULT_HSMS, env.clock)
    db = ClusterDB(directory)
    audit = AuditLog(db, env.clock)
    backend = _backend(env, db)
    return Shell(env, table, policy, db, audit, backend, make_renderer(env))


def _backend(env, db):
    if env.backend == "emulator":
        from hsmshell.backends.emulator import EmulatorBackend
        return EmulatorBackend(db, env.clock)
    raise ConfigError(f"unknown backend '{env.backend}'", hint="--backend emulator")
