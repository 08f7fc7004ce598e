"""The cluster's own history, as the CloudHSM console shows it: created, initialized, an HSM
failed, was replaced, added or removed. `cluster describe` shows the latest events."""

from __future__ import annotations

import json

SCHEMA = """
CREATE TABLE IF NOT EXISTS cluster_events (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    event TEXT NOT NULL,
    hsm_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
"""


def record(conn, now: float, event: str, hsm_id: str | None = None, **detail) -> None:
    conn.execute("INSERT INTO cluster_events(time, event, hsm_id, detail) VALUES(?,?,?,?)",
                 (now, event, hsm_id, json.dumps(detail, sort_keys=True)))


def latest(conn, limit: int = 20) -> list[dict]:
    rows = conn.execute("SELECT time, event, hsm_id, detail FROM cluster_events "
                        "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [{"time": time, "event": event, "hsm": hsm_id, **json.loads(detail)}
            for time, event, hsm_id, detail in reversed(rows)]
