"""What a command read from outside the cluster (users' files), kept for `audit replay`.

A handler that reads a user's file (a registration token, an approval, a public key) notes
what it read with `note`, once the content has passed the checks that make it what it should
be: a public key parsed as one, a token as a token, a signature of a signature's size. So a
private key given in the wrong place never reaches the log. The backend puts the notes in
the command's `Result.replay`, or on the error when the command fails, and the audit record
keeps them. While a log is replayed (the command's `context.replay_input` is the record's
`replay` data: backends/context.py),
the handler takes the content from `recorded` instead of the file: replay needs none of the
files.

Never a secret: private keys, symmetric keys and passphrases are not noted (the commands
that import them keep only the kind of key: secret_inputs.py).
"""

from __future__ import annotations

import base64


# `cluster` below is what a handler got: the CommandRun of one command (emulator/cluster.py)
def replaying(cluster) -> bool:
    return cluster.context.replay_input is not None


def recorded(cluster, key: str):
    """What the replayed record kept under `key` (None outside replay, or if it kept none)."""
    return (cluster.context.replay_input or {}).get(key)


def recorded_bytes(cluster, key: str) -> bytes | None:
    """Bytes the record kept as base64 (as_base64)."""
    value = recorded(cluster, key)
    return base64.b64decode(value) if isinstance(value, str) else None


def recorded_text(cluster, key: str) -> bytes | None:
    """Text the record kept as it was (a PEM public key), as bytes."""
    value = recorded(cluster, key)
    return value.encode("ascii") if isinstance(value, str) else None


def note(cluster, key: str, value) -> None:
    """Keep `value` (JSON types; never a secret) in this command's audit record."""
    cluster.context.inputs_read[key] = value


def as_base64(data: bytes) -> str:
    """Bytes as the audit record keeps them."""
    return base64.b64encode(data).decode("ascii")
