"""`whoami` and `status` in words: no `None`, no raw field names, no packed `k=v` strings."""

from __future__ import annotations

from hsmshell.model.words import plural


def whoami_lines(data: dict) -> list[str]:
    if not data.get("user"):
        return ["not logged in"]
    return [f"{data['user']} ({data['user_type']}), user id {data['user_id']}, on cluster {data['cluster']}"]


def status_summary(data: dict) -> list[str]:
    cluster = f"Cluster {data.get('cluster')}" + (f" ({data['cluster_id']})" if data.get("cluster_id") else "")
    lines = [f"{cluster}  state {data.get('state', '-')}  backend {data.get('backend', '-')}"]
    if "hsms_total" in data:
        lines.append(f"{data.get('hsms_reachable', 0)} of {plural(data['hsms_total'], 'HSM')} reachable")
    lines.append(f"Login: {data.get('login') or 'not logged in'}")
    if data.get("roles_dir"):
        lines.append(f"Role files: {data['roles_dir']}")
    return lines


def hsm_rows(data: dict) -> list[tuple[str, ...]]:
    return [(str(h.get("server", "")), str(h.get("hsm", "")), str(h.get("ip", "")),
             str(h.get("az", "")), str(h.get("state", ""))) for h in data.get("hsms", [])]


HSM_COLUMNS = ("server", "HSM", "IP", "zone", "state")
WORDS = {"hsm": "HSM", "hsms": "HSMs", "ip": "IP", "id": "id", "az": "zone", "kcv": "KCV"}


def field_name(key: str) -> str:
    """`hsms_total` -> `HSMs total`: a JSON field name in words for a human table."""
    return " ".join(WORDS.get(word, word) for word in str(key).split("_"))
