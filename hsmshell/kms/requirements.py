"""What a CloudHSM cluster must be to back a KMS custom key store, read
from the emulated cluster in one pass: each requirement met or not, why, the command that
fixes it, and what KMS does when it is not met (the exception of a fast refusal, or the
ConnectionErrorCode of a FAILED connect). `kms check` shows them all; create-key-store,
connect and create-key act on the first one they need that fails.
"""

from __future__ import annotations


from hsmshell.backends.emulator import network as vpc
from hsmshell.model.users import UserType
from hsmshell.record import field, record

KMSUSER = "kmsuser"
MAX_LOGIN_FAILURES = 5                 # users.py: more failures lock the user
CREATE, CONNECT, KEYS = "create-key-store", "connect", "create-key"
INVALID_CONFIGURATION = "CloudHsmClusterInvalidConfigurationException"
NOT_ACTIVE = "CloudHsmClusterNotActiveException"


@record
class Finding:
    id: str
    requirement: str
    met: bool | None                   # None: could not be checked (say why in detail)
    detail: str
    fix: list[str] = field(default_factory=list)
    needed_for: tuple[str, ...] = (CREATE, CONNECT, KEYS)
    exception: str | None = None       # what create-key-store / create-key (and a fast connect) raise
    error_code: str | None = None      # the ConnectionErrorCode of a FAILED connect

    def to_dict(self) -> dict:
        out = {"Requirement": self.id, "Description": self.requirement,
               "Met": self.met, "Detail": self.detail, "NeededFor": list(self.needed_for)}
        if self.met is False:
            out["Fix"] = self.fix
            if self.exception:
                out["Exception"] = self.exception
            if self.error_code:
                out["ConnectionErrorCode"] = self.error_code
        return out


# The order in which a connection attempt meets the requirements (the first unmet decides).
CONNECT_ORDER = ("cluster-exists", "active-hsm", "subnets-exist", "free-addresses", "network-acl",
                 "kmsuser-exists", "kmsuser-consistent", "kmsuser-not-locked", "kmsuser-not-logged-in",
                 "kmsuser-password")
# What a connect refuses at once, before CONNECTING (the state stays DISCONNECTED).
CONNECT_FAST = ("cluster-active", "mtls-off", "subnets-two-azs", "security-group")
# What create-key-store refuses (in this order).
CREATE_ORDER = ("cluster-exists", "cluster-not-in-use", "cluster-active", "mtls-off", "subnets-two-azs",
                "security-group", "two-hsms-two-azs", "trust-anchor")


def cluster_missing(cluster_id: str) -> Finding:
    return Finding("cluster-exists", "the cluster exists", False,
                   f"no cluster in the state dir has the id {cluster_id}",
                   [f"hsmshell cluster list", "hsmshell kms update-key-store <store> --cluster-id <id> "
                    "(a cluster restored from a backup of it)"],
                   exception="CloudHsmClusterNotFoundException", error_code="CLUSTER_NOT_FOUND")


def evaluate(cluster, name: str, *, password: str | None = None, password_from: str = "",
             trust_anchor: str | None = None, anchor_from: str = "", kms_session: str | None = None,
             in_use_by: str | None = None, keys=()) -> list[Finding]:
    """Every requirement, on `cluster` (an EmulatedCluster under its lock) called `name`.
    `kms_session`: the session id KMS holds for a connected store (its own login is fine);
    `in_use_by`: another store's name if one uses this cluster; `keys`: the store's KMS keys."""
    meta = cluster.db.meta_many("cluster_id", "cluster_state", "trust_anchor")
    hsms = cluster.hsms()
    active = [h for h in hsms if h.reachable]
    net = vpc.load(cluster)
    on = f"--cluster {name}"
    found = [Finding("cluster-exists", "the cluster exists", True, f"{name} ({meta.get('cluster_id')})")]
    found.append(Finding("cluster-not-in-use", "no other key store uses the cluster (or its backups)",
                         in_use_by is None,
                         f"key store {in_use_by} uses it" if in_use_by else "no other key store uses it",
                         [f"hsmshell kms delete-key-store {in_use_by}" if in_use_by else ""],
                         needed_for=(CREATE,), exception="CloudHsmClusterInUseException"))
    found.append(_active(meta.get("cluster_state", "INITIALIZED"), name, on))
    level = cluster.db.meta("mtls_level", "none")          # `cluster mtls set-enforcement` (SDK 5)
    found.append(Finding("mtls-off", "mutual TLS is not enforced (KMS does not support mTLS)", level != "cluster",
                         f"mTLS enforcement level: {level}",
                         [f"hsmshell {on} -c 'login --username admin --role admin; "
                          "cluster mtls set-enforcement --level none'"], exception=INVALID_CONFIGURATION))
    found += _network(net, name, hsms, kms_session is not None)
    found += _hsm_counts(active, hsms, net, name)
    found += _kmsuser(cluster, active, name, on, password, password_from, kms_session)
    found.append(_trust_anchor(cluster, meta.get("trust_anchor"), trust_anchor, anchor_from, name))
    if keys:
        found.append(_key_material(cluster, active, keys, name))
    return found


def first_unmet(findings: list[Finding], order) -> Finding | None:
    by_id = {f.id: f for f in findings}
    for wanted in order:
        finding = by_id.get(wanted)
        if finding is not None and finding.met is False:
            return finding
    return None


# -- the cluster and its network ------------------------------------------------------------------
def _active(state: str, name: str, on: str) -> Finding:
    fix = {"UNINITIALIZED": [f"hsmshell cluster initialize {name} --self-signed (or --ca-cert ... --ca-key ...)",
                             f"hsmshell {on} -c 'loginHSM PRECO admin password; changePswd PRECO admin -hpswd'"],
           "INITIALIZED": [f"hsmshell {on} -c 'loginHSM PRECO admin password; changePswd PRECO admin -hpswd'"]}
    return Finding("cluster-active", "the cluster is initialized and activated", state == "ACTIVE",
                   f"the cluster is {state}", fix.get(state, []), needed_for=(CREATE, CONNECT, KEYS),
                   exception=NOT_ACTIVE)


def _network(net: dict, name: str, hsms, connected: bool) -> list[Finding]:
    live = vpc.live_subnets(net)
    zones = sorted({s["az"] for s in live})
    gone = vpc.deleted_subnets(net)
    spare = _spare_zone(net)
    out = [Finding("subnets-two-azs", "private subnets in at least two availability zones", len(zones) >= 2,
                   f"subnets in {', '.join(zones) or 'no zone'}",
                   [f"hsmshell cluster network {name} --add-subnet {spare}=10.0.{len(net.get('subnets', [])) + 9}.0/24"],
                   exception=INVALID_CONFIGURATION),
           Finding("subnets-exist", "every subnet of the cluster still exists", not gone,
                   "deleted: " + ", ".join(f"{s['subnet_id']} ({s['az']})" for s in gone) if gone
                   else f"{len(live)} subnet(s), all present",
                   [f"hsmshell cluster network {name} --restore-subnet {s['az']}   "
                    "(AWS: restore a backup into new subnets, then update-key-store --cluster-id)" for s in gone],
                   needed_for=(CONNECT,), error_code="SUBNET_NOT_FOUND")]
    missing = vpc.missing_rules(net)
    group = (net.get("security_group") or {}).get("name", "the cluster security group")
    out.append(Finding("security-group", f"{group} allows TCP 2223-2225 in and out, to itself",
                       not missing, f"missing: {', '.join(missing)} rule(s)" if missing else "both rules intact",
                       [f"hsmshell cluster network {name} --restore-security-group"],
                       exception=INVALID_CONFIGURATION))
    out.append(Finding("network-acl", "no network ACL blocks TCP 2223-2225", not vpc.acl_blocks(net),
                       "the subnets' network ACL denies TCP 2223-2225" if vpc.acl_blocks(net) else "not blocked",
                       [f"hsmshell cluster network {name} --unblock-network-acl"],
                       needed_for=(CONNECT,), error_code="NETWORK_ERRORS"))
    free = vpc.free_addresses(net, hsms)
    full = [s for s in live if free.get(s["subnet_id"], 0) < 1]
    out.append(Finding("free-addresses", "a free IP address in each subnet (two are better)",
                       connected or not full,
                       "KMS's ENIs are in place" if connected else
                       ", ".join(f"{s['az']}: {free.get(s['subnet_id'], 0)} free" for s in live) or "no subnet",
                       [f"hsmshell cluster network {name} --release-addresses {s['az']}" for s in full],
                       needed_for=(CONNECT,), error_code="INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET"))
    return out


def _spare_zone(net: dict) -> str:
    zones = {s["az"] for s in vpc.live_subnets(net)}
    region = (net.get("region") or "us-east-1")
    return next(f"{region}{letter}" for letter in "abcdef" if f"{region}{letter}" not in zones)


def _hsm_counts(active, hsms, net, name: str) -> list[Finding]:
    zones = sorted({h.az for h in active})
    failed = [h for h in hsms if not h.reachable]
    replace = [f"hsmshell cluster replace {name} {h.server}" for h in failed]
    other = next((s["az"] for s in vpc.live_subnets(net) if s["az"] not in zones), None)
    add = f"hsmshell cluster add-hsm {name}" + (f" --az {other}" if other else "")
    no_source = ["no active HSM is left to clone a new one from: CloudHSM restores the latest backup "
                 "into a new HSM; the emulator keeps no backups (make a new cluster, then "
                 "hsmshell kms update-key-store <store> --cluster-id <its id>)"]
    return [Finding("active-hsm", "at least one active HSM (to connect and to use keys)", bool(active),
                    f"{len(active)} of {len(hsms)} HSM(s) active", no_source,
                    needed_for=(CONNECT,), error_code="INSUFFICIENT_CLOUDHSM_HSMS"),
            Finding("two-hsms-two-azs", "at least two active HSMs in different availability zones",
                    len(zones) >= 2, f"active HSMs in {', '.join(zones) or 'no zone'}",
                    replace + [add] if len(active) >= 2 or not replace else replace,
                    needed_for=(CREATE, KEYS), exception=INVALID_CONFIGURATION)]


# -- kmsuser ------------------------------------------------------------------------------------
def _kmsuser(cluster, active, name: str, on: str, password, password_from, kms_session) -> list[Finding]:
    rows = {r[0]: r[1:] for r in cluster.conn.execute(
        "SELECT hsm_id, user_id, user_type, pw_hash, login_failures FROM users WHERE name = ?", (KMSUSER,))}
    here = [h for h in active if h.hsm_id in rows]
    missing = [h for h in active if h.hsm_id not in rows]
    not_cu = [h for h in here if rows[h.hsm_id][1] != UserType.CU]
    create = f"hsmshell {on} -c 'loginHSM CO admin -hpswd; createUser CU kmsuser -hpswd'"
    if not active:
        exists = Finding("kmsuser-exists", "a crypto user kmsuser on every HSM", None, "no active HSM to look on")
    elif missing or not_cu:
        source = here[0] if here and not not_cu else None
        fix = ([f"hsmshell {on} -c 'loginHSM CO admin -hpswd; server {source.server}; "
                + "; ".join(f"syncUser {rows[source.hsm_id][0]} {h.server}" for h in missing) + "; exit'"]
               if source else [create])
        if not_cu:
            fix = [f"hsmshell {on} -c 'loginHSM CO admin -hpswd; deleteUser {rows[not_cu[0].hsm_id][1]} kmsuser'",
                   create]
        detail = "; ".join(filter(None, [
            ("missing on server " + ", ".join(str(h.server) for h in missing)) if missing else "",
            ("not a CU on server " + ", ".join(str(h.server) for h in not_cu)) if not_cu else ""]))
        exists = Finding("kmsuser-exists", "a crypto user kmsuser on every HSM", False, detail, fix,
                         needed_for=(CONNECT,), error_code="USER_NOT_FOUND")
    else:
        exists = Finding("kmsuser-exists", "a crypto user kmsuser on every HSM", True,
                         f"CU kmsuser on {len(here)} active HSM(s)", needed_for=(CONNECT,))
    hashes = {rows[h.hsm_id][2] for h in here}
    consistent = Finding("kmsuser-consistent", "kmsuser is the same user on every HSM (users in sync)",
                         len(hashes) <= 1, "one password on every HSM" if len(hashes) <= 1 else
                         f"{len(hashes)} different passwords across the HSMs (users drifted)",
                         [f"hsmshell cluster diff {name}   (then run the syncUser commands it lists)",
                          f"hsmshell {on} -c 'loginHSM CO admin -hpswd; changePswd CU kmsuser -hpswd'"],
                         needed_for=(CONNECT,), error_code="INTERNAL_ERROR")
    locked = [h for h in here if rows[h.hsm_id][3] > MAX_LOGIN_FAILURES]
    unlock = [f"hsmshell {on} -c 'loginHSM CO admin -hpswd; changePswd CU kmsuser -hpswd'",
              "hsmshell kms update-key-store <store> --kmsuser-password -hpswd"]
    not_locked = Finding("kmsuser-not-locked", "kmsuser is not locked out", not locked,
                         f"locked on server {', '.join(str(h.server) for h in locked)} after failed logins"
                         if locked else "not locked", unlock, needed_for=(CONNECT,), error_code="USER_LOCKED_OUT")
    holders = _logins(cluster, kms_session)
    logged_in = Finding("kmsuser-not-logged-in", "nobody but KMS is logged in as kmsuser", not holders,
                        ("logged in by process " + ", ".join(str(pid) for pid in holders)) if holders
                        else ("logged in by KMS only (the store is connected)" if kms_session else "not logged in"),
                        [f"logoutHSM in the shell logged in as kmsuser (process {pid})" for pid in holders],
                        needed_for=(CONNECT,), error_code="USER_LOGGED_IN")
    return [exists, consistent, not_locked, logged_in,
            _password(cluster, here, rows, password, password_from, kms_session, on)]


def _logins(cluster, kms_session: str | None) -> list[int]:
    """Processes (other than KMS) logged in as kmsuser; sessions of dead processes go first."""
    saved = cluster.session_id
    cluster.session_id = kms_session or saved
    try:
        cluster.logged_in_elsewhere(KMSUSER)            # reaps logins whose process is gone
    finally:
        cluster.session_id = saved
    return [pid for session, pid in cluster.conn.execute(
        "SELECT session_id, pid FROM sessions WHERE user_name = ?", (KMSUSER,))
        if session != kms_session and not session.startswith("kms-")]


def _password(cluster, here, rows, password, password_from, kms_session, on) -> Finding:
    title = "the kmsuser password KMS has is kmsuser's password"
    fix = ["hsmshell kms update-key-store <store> --kmsuser-password -hpswd   (after a changePswd: "
           f"hsmshell {on} -c 'loginHSM CO admin -hpswd; changePswd CU kmsuser -hpswd')"]
    if password is None:
        return Finding("kmsuser-password", title, None,
                       "not checked: give --kmsuser-password (or check a store's cluster)",
                       needed_for=(CONNECT,), error_code="INVALID_CREDENTIALS")
    if not here:
        return Finding("kmsuser-password", title, None, "no kmsuser to check it against",
                       needed_for=(CONNECT,), error_code="INVALID_CREDENTIALS")
    from hsmshell.backends.emulator.passwords import verify_password
    matches = verify_password(password, rows[here[0].hsm_id][2])
    detail = f"the password {password_from} " + ("matches" if matches else "does not match")
    return Finding("kmsuser-password", title, matches, detail, fix, needed_for=(CONNECT,),
                   error_code="INVALID_CREDENTIALS")


# -- the trust anchor and the keys --------------------------------------------------------------
def _trust_anchor(cluster, cluster_anchor: str | None, given: str | None, given_from: str, name: str) -> Finding:
    title = "the trust anchor is the certificate that issued the cluster's certificate (customerCA.crt)"
    fix = [f"--trust-anchor {cluster.db.directory / 'customerCA.crt'}"]
    if not cluster_anchor:
        return Finding("trust-anchor", title, False,
                       "the cluster has no certificate (made initialized on first use, never signed)",
                       [f"hsmshell cluster create <name> ... and hsmshell cluster initialize <name> ..."],
                       needed_for=(CREATE,), exception="IncorrectTrustAnchorException")
    if given is None:
        path = cluster.db.directory / "customerCA.crt"
        given_from = f"in {path}"
        given = path.read_text() if path.is_file() else ""
    same = same_certificate(given, cluster_anchor)
    return Finding("trust-anchor", title, same,
                   f"the certificate {given_from} " + ("is" if same else "is not") + " the cluster's issuing CA",
                   fix, needed_for=(CREATE,), exception="IncorrectTrustAnchorException")


def same_certificate(a: str, b: str) -> bool:
    from cryptography import x509
    try:
        return x509.load_pem_x509_certificate(a.encode()) == x509.load_pem_x509_certificate(b.encode())
    except ValueError:
        return False


def _key_material(cluster, active, keys, name: str) -> Finding:
    held = {}
    for handle, hsm_id in cluster.conn.execute("SELECT handle, hsm_id FROM keys WHERE label LIKE 'arn:aws:kms:%'"):
        held.setdefault(handle, set()).add(hsm_id)
    gaps = []
    for key in keys:
        lacking = [h.server for h in active if h.hsm_id not in held.get(key.handle, set())]
        if lacking:
            gaps.append(f"{key.key_id} (handle {key.handle}) missing on server(s) {', '.join(map(str, lacking))}")
    return Finding("kms-key-material", "every KMS key's material is on every active HSM", not gaps,
                   "; ".join(gaps) or f"{len(keys)} KMS key(s) on {len(active)} HSM(s)",
                   [f"hsmshell cluster diff {name}   (then the syncKey commands it lists, as a CO)"],
                   needed_for=("encrypt", "decrypt"))
