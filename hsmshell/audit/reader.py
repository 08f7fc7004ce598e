"""Streaming the records of an audit log (one JSON object a line), constant memory.

Reading does not check the chain (that is `audit verify`); a line that is not a record
stops the reading with audit-tampered, naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

from hsmshell.errors import AuditTampered


def read_lines(path: Path, keep: Callable[[dict], bool] | None = None) -> Iterator[tuple[bytes, dict]]:
    """(stored line, parsed record) of each record `keep` accepts (all when None)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.isascii():          # records are written as ASCII JSON
                raise AuditTampered(f"{path}: line {number} is not ASCII, so it was edited",
                                    hint="run `hsmshell audit verify` to find the first bad record")
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError
            except ValueError:
                raise AuditTampered(f"{path}: line {number} is not an audit record",
                                    hint="run `hsmshell audit verify` to find the first bad record") from None
            if keep is None or keep(record):
                yield line, record


def read_records(path: Path, keep: Callable[[dict], bool] | None = None) -> Iterator[dict]:
    return (record for _, record in read_lines(path, keep))
