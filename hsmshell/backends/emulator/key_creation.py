"""Making keys (generate, import, unwrap): every check first, then one write per HSM.

`plan_creation` checks what can be checked before any key material exists (label, id,
users to share with, quorum size, the cluster's quotas), so an RSA key is not generated only
to be refused. `CreationPlan.create` then gives the keys their handles, seals their material
and copies them to every reachable HSM where the owner exists; an HSM without the owner
reports it and gets no copy. If fewer HSMs than -min_srv got the key, it raises and the
pipeline's savepoint undoes every write.
"""

from __future__ import annotations

from hsmshell import jsontext
from hsmshell.backends.emulator.key_templates import NewKey
from hsmshell.backends.emulator.keystore import KeyStore
from hsmshell.backends.result import Result, ServerStatus
from hsmshell.errors import HsmError, InvalidArgument, LimitExceeded, NoSuchUser
from hsmshell.model.key_attributes import check_text
from hsmshell.model.keys import (
    ASYMMETRIC_KEY_TYPES, MAX_ASYMMETRIC_KEYS_PER_CLUSTER, MAX_KEYS_PER_CLUSTER, Attr,
)
from hsmshell.record import record, replace

FIRST_HANDLE = 262145       # handles count up from here, never reused in a cluster
MAX_M_VALUE = 8


@record(frozen=True)
class Placement:
    """Where and how new keys are kept: the options every generate/import/unwrap shares."""
    label: str
    key_id: str = ""
    session: bool = False
    share_with: tuple[int, ...] = ()
    m_value: int = 0                    # use quorum (KMU's -m_value sets both)
    min_servers: int = 1
    manage_m_value: int | None = None   # manage quorum; None: the same as m_value (KMU)

    @property
    def manage(self) -> int:
        return self.m_value if self.manage_m_value is None else self.manage_m_value

    @property
    def largest_quorum(self) -> int:
        return max(self.m_value, self.manage)

    @classmethod
    def from_args(cls, args: dict, label: str | None = None) -> "Placement":
        m_value = args.get("m_value") or 0
        if m_value > MAX_M_VALUE:
            raise InvalidArgument(f"-m_value is 0 to {MAX_M_VALUE}, not {m_value}")
        min_servers = args.get("min_srv") or 1
        key_id = args.get("key_id") or ""
        return cls(label=check_text(Attr.LABEL, label if label is not None else args.get("label") or ""),
                   key_id=check_text(Attr.ID, key_id) if key_id else "",
                   session=bool(args.get("sess")), share_with=tuple(args.get("share_with") or ()),
                   m_value=m_value, min_servers=max(min_servers, 1),
                   manage_m_value=args.get("manage_m_value"))


@record
class Created:
    handles: list[int]
    servers: list[ServerStatus]
    owner: int
    shared_with: list[int]
    placement: Placement

    def result(self, command: str, kind: str, handles: dict[str, int], **data) -> Result:
        """The Result of a creating command; `handles` names each new handle (key_handle, ...)."""
        p = self.placement
        body = {**handles, **data, "label": p.label, "id": p.key_id, "session": p.session,
                "owner": self.owner, "shared_with": self.shared_with, "m_value": p.largest_quorum}
        return Result(command, kind, data=body, servers=self.servers, replay=dict(handles))


@record
class CreationPlan:
    store: KeyStore
    placement: Placement
    owner_ids: dict[str, tuple[int, str]]     # the owner's id on each HSM
    share_names: list[str]
    home_owner: int

    def create(self, keys: list[NewKey]) -> Created:
        """Give the keys handles and copy them to the HSMs (plan_creation counted them already)."""
        store, placement = self.store, self.placement
        handles = _allocate(store, keys, placement.key_id)
        session = store.cluster.session_id if placement.session else None
        # What every HSM's row shares, computed once: the sealed material, the attributes.
        common = [(h, int(k.key_class), int(k.key_type), placement.label, placement.key_id,
                   jsontext.compact(k.attributes), store.seal(h, k.material), session,
                   placement.m_value if k.restricted else 0, placement.manage if k.restricted else 0)
                  for h, k in zip(handles, keys)]
        restricted = [h for h, k in zip(handles, keys) if k.restricted]
        rows: dict[str, tuple[list, list]] = {}     # by HSM: its keys rows and key_shares rows

        def on_hsm(hsm) -> dict:
            owner = self.owner_ids.get(hsm.hsm_id)
            if owner is None:
                raise NoSuchUser(f"{store.principal.name} does not exist on server {hsm.server}"
                                 f"({hsm.ip}): the key was not copied there",
                                 hint="create the user on that HSM (or sync it) to copy keys there")
            shared = store.local_ids(self.share_names, hsm.hsm_id)
            rows[hsm.hsm_id] = ([(row[0], hsm.hsm_id, owner[0], *row[1:]) for row in common],
                                [(h, hsm.hsm_id, uid) for h in restricted for uid in shared])
            return {}

        servers = store.cluster.on_each(on_hsm, store.hsms)
        store.conn.executemany(
            "INSERT INTO keys(handle, hsm_id, owner, key_class, key_type, label, key_id, "
            "attributes, material, session_id, m_value, manage_m_value) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
            [row for key_rows, _ in rows.values() for row in key_rows])
        shares = [row for _, share_rows in rows.values() for row in share_rows]
        if shares:
            store.conn.executemany("INSERT INTO key_shares(handle, hsm_id, user_id) VALUES(?,?,?)",
                                   shares)
        copies = sum(s.error is None for s in servers)
        if copies < placement.min_servers:
            raise HsmError(f"the key reached {copies} HSM(s), fewer than -min_srv "
                           f"{placement.min_servers}: nothing was created",
                           reference="min-servers-not-met",
                           hint="bring the HSMs back, or lower -min_srv")
        return Created(handles, servers, self.home_owner,
                       list(dict.fromkeys(placement.share_with)), placement)


def plan_creation(store: KeyStore, placement: Placement, count: int = 1, asymmetric: bool = False,
                  owner: str | None = None, share_names: list[str] | None = None) -> CreationPlan:
    """Check a creation of `count` keys before any material exists; raises what is wrong.
    The keys belong to the login, or to `owner` shared with `share_names` (a masked object's
    key, which keeps its owner and sharing by name)."""
    owner_ids = store.user_ids(owner or store.principal.name)
    if owner is None:
        home = store.home_hsm()
    else:
        holders = [h for h in store.hsms if h.reachable and h.hsm_id in owner_ids]
        if not holders:
            raise NoSuchUser(f"{owner} exists on no reachable HSM")
        home = store.cluster.pick_hsm(holders)
    home_owner = owner_ids[home.hsm_id][0]
    if share_names is None:
        names = store.crypto_user_names(home, placement.share_with, home_owner)
    else:
        names = [n for n in share_names if home.hsm_id in store.user_ids(n)]
        placement = replace(placement, share_with=tuple(store.local_ids(names, home.hsm_id)))
    if placement.largest_quorum > len(names) + 1:
        m = placement.largest_quorum
        raise InvalidArgument(f"-m_value {m} needs the key shared with at least "
                              f"{m - 1} other user(s) in -u (the owner counts as one)")
    if placement.key_id and store.conn.execute(
            "SELECT 1 FROM key_objects WHERE key_id = ? LIMIT 1", (placement.key_id,)).fetchone():
        raise InvalidArgument(f"a key with id '{placement.key_id}' already exists in the cluster",
                              hint="key ids are unique in the cluster; labels need not be")
    _check_counts(store, count, count if asymmetric else 0)
    return CreationPlan(store, placement, owner_ids, names, home_owner)


def _check_counts(store: KeyStore, new_keys: int, new_asymmetric: int) -> None:
    conn = store.conn
    # Every handle the cluster holds was issued by _allocate, so the handles issued so far
    # bound both counts: until that bound nears a limit, no need to count (COUNT(*) reads the
    # whole table, and every creating command would pay for it).
    issued = int(store.cluster.db.meta("next_key_handle", str(FIRST_HANDLE))) - FIRST_HANDLE
    for what, where, new, limit in (
            ("keys", "", new_keys, MAX_KEYS_PER_CLUSTER),
            ("asymmetric keys", " WHERE asymmetric = 1", new_asymmetric,
             MAX_ASYMMETRIC_KEYS_PER_CLUSTER)):
        if not new or issued + new <= limit:
            continue
        count = conn.execute(f"SELECT COUNT(*) FROM key_objects{where}").fetchone()[0]
        if count + new > limit:
            # Handles whose every copy went with a removed HSM still count; drop them, recount.
            conn.execute("DELETE FROM key_objects WHERE handle NOT IN (SELECT handle FROM keys)")
            count = conn.execute(f"SELECT COUNT(*) FROM key_objects{where}").fetchone()[0]
        if count + new > limit:
            raise LimitExceeded(f"the cluster holds {count} {what}; it can hold at most {limit}",
                                hint="delete keys you no longer need (deleteKey)")


def _allocate(store: KeyStore, keys: list[NewKey], key_id: str) -> list[int]:
    db = store.cluster.db
    first = int(db.meta("next_key_handle", str(FIRST_HANDLE)))
    handles = list(range(first, first + len(keys)))
    db.set_meta("next_key_handle", str(first + len(keys)))
    store.conn.executemany("INSERT INTO key_objects(handle, asymmetric, key_id) VALUES(?,?,?)",
                           [(h, int(k.key_type in ASYMMETRIC_KEY_TYPES), key_id)
                            for h, k in zip(handles, keys)])
    return handles
