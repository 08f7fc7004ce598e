"""Open the shell on a cluster: the state folder, its database, audit log, policy and backend.
On first use, the emulated cluster `default` is created, as docs/architecture.md asks."""

from __future__ import annotations

from pathlib import Path

from hsmshell.audit.keys import SecretHasher, create_audit_keys, key_id
from hsmshell.audit.log import AuditLog
from hsmshell.commands import command_table
from hsmshell.errors import ClusterStateDamaged, ConfigError
from hsmshell import fileio
from hsmshell.state.db import ClusterDB
from hsmshell.state.home import KEK_FILE, StateHome, require_complete, write_private
from hsmshell.transactions import AuditedTransaction

DEFAULT_CLUSTER = "default"
DEFAULT_HSMS = 3


def create_emulated_cluster(directory: Path, name: str, hsm_count: int, clock, **topology) -> None:
    """Create the cluster's folder, keys, database and genesis audit record; nothing if another
    shell made it meanwhile. `topology`: seed_cluster's options (azs, subnets, initialized,
    replace_after)."""
    from hsmshell.backends.emulator.schema import create_tables, seed_cluster

    def genesis(db, hasher) -> dict:
        seeded = seed_cluster(db, name, hsm_count, clock(), **topology)
        return {"kind": "genesis", "cluster": name, "cluster_id": seeded["cluster_id"],
                "backend": "emulator", "hsms": seeded["hsms"],
                "users": audited_users(seeded["users"], hasher),
                "state": seeded["state"], "network": seeded["network"],
                "replace_after": db.meta("replace_after")}

    _create_state_folder(directory, clock, genesis, create_tables)


def create_token_folder(directory: Path, name: str, token: str, clock) -> None:
    """The state folder of a PKCS#11 token (`--backend pkcs11`): its own audit log and keys,
    whose genesis says so (audit replay then replays on a fresh token), and no emulated HSMs."""
    import uuid

    def genesis(db, hasher) -> dict:
        cluster_id = f"token-{uuid.uuid4().hex[:12]}"
        db.set_meta_many({"cluster_id": cluster_id, "cluster_name": name})
        return {"kind": "genesis", "cluster": name, "cluster_id": cluster_id, "backend": "pkcs11",
                "token": token, "hsms": [], "users": [], "state": None, "network": None,
                "replace_after": None}

    _create_state_folder(directory, clock, genesis, lambda conn: None)


def _create_state_folder(directory: Path, clock, genesis, create_tables) -> None:
    """Folder, keys, database and genesis record. A folder holding part of a cluster is refused,
    never completed: new keys would orphan every older key and record (docs/hardening.md)."""
    from hsmshell.backends.emulator.crypto import new_kek

    fileio.make_folder(directory.parent)
    fileio.make_folder(directory)
    db = ClusterDB(directory, create=True)      # under the cluster lock from here on
    try:
        with db.exclusive():
            if not db.created:
                require_complete(directory)
                if not db.meta("cluster_id"):
                    raise ClusterStateDamaged(f"the cluster state in {directory} holds no cluster "
                                              f"(its creation did not finish): refused")
                return
            write_private(directory / KEK_FILE, new_kek(), exclusive=True)
            public = create_audit_keys(directory)
            create_tables(db.conn)          # executescript commits: keep it outside the transaction
            audit = AuditLog(db, clock, create=True)
            hasher = SecretHasher(directory)
            with AuditedTransaction(db, audit, sync=True):
                audit.stage({**genesis(db, hasher), "audit_key": public.hex(), "audit_key_id": key_id(public)})
            audit.close()
    finally:
        db.close()


def audited_users(users: list[dict], hasher) -> list[dict]:
    """Seeded users as an audit record keeps them: each password as a salted HMAC, and
    whether its length fits the rules (replay's stand-in then does too)."""
    from hsmshell.audit.keys import length_class
    for user in users:
        password = user.pop("password")
        user["password"] = hasher(password) if password else None
        if password:
            user["password_length_class"] = length_class(password)
    return users


def open_shell(env, *, table=None, policy=None, renderer=None):
    """The shell for `env`; `table`, `policy` and `renderer` replace the usual ones (the
    emulated CMU/KMU terminals bring their own: hsmshell/emulate/)."""
    from hsmshell.pipeline import Shell
    from hsmshell.policy.roles import load_policy
    from hsmshell.render import make_renderer

    table = table if table is not None else command_table()
    policy = policy if policy is not None else load_policy(env.roles_dir, table.actions(), cache_home=env.home)
    home = StateHome(env.home).ensure()
    directory = home.cluster_dir(env.cluster)
    if not (directory / "state.db").is_file():
        if env.backend == "pkcs11":
            create_token_folder(directory, env.cluster, env.pkcs11.get("token") or env.cluster, env.clock)
        elif env.cluster != DEFAULT_CLUSTER:
            require_complete(directory)     # part of a cluster: say what is missing
            raise ConfigError(f"no cluster named '{env.cluster}' in {home.clusters}",
                              hint="hsmshell uses the emulated cluster 'default' unless told otherwise")
        else:
            create_emulated_cluster(directory, env.cluster, DEFAULT_HSMS, env.clock)
    db = open_cluster_db(directory)
    try:
        if env.backend == "emulator":       # the cloudhsm backend's tools check their own trust
            from hsmshell.backends.emulator.certificates import check_connection
            check_connection(db, directory, env.cluster)     # initialized, and trusted by this client
        audit = AuditLog(db, env.clock)
        backend = _backend(env, db)
    except BaseException:
        db.close()
        raise
    renderer = renderer if renderer is not None else make_renderer(env)
    from hsmshell.server_failure import ServerFailurePrompt
    backend.set_failure_prompt(ServerFailurePrompt(env, renderer))   # a server failing a write
    return Shell(env, table, policy, db, audit, backend, renderer)


def open_cluster_db(directory: Path) -> ClusterDB:
    """The state of an existing cluster, refused unless all its files are there. Checked under
    the cluster lock: a cluster being created holds it until its last file is written."""
    db = ClusterDB(directory)
    try:
        with db.exclusive():
            require_complete(directory)
    except BaseException:
        db.close()
        raise
    return db


def open_backend(env, db=None):
    """The backend `env` names, on its own (audit replay of a token's log opens the fresh token)."""
    return _backend(env, db)


def _backend(env, db):
    if env.backend == "emulator":
        from hsmshell.backends.emulator import EmulatorBackend
        return EmulatorBackend(db, env.clock)
    if env.backend == "cloudhsm":
        from hsmshell.backends.cloudhsm import CloudHsmBackend
        return CloudHsmBackend(env)
    if env.backend == "pkcs11":
        from hsmshell.backends.pkcs11 import Pkcs11Backend
        return Pkcs11Backend(env)
    raise ConfigError(f"unknown backend '{env.backend}'", hint="--backend emulator|cloudhsm|pkcs11")
