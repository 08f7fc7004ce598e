"""`audit verify`: an edited byte, a deleted record, reordered records and a cut tail are each
reported naming the first bad record (exit 6); the JSON failure names the log and record."""

from __future__ import annotations

import shutil

import pytest

from batch_audit_support import activated_with, cli, cluster_dir, log_lines, verify_json
from hsmshell.status import ExitStatus


@pytest.fixture
def logged(capsys, home):
    return activated_with(capsys, home, "createUser CU alice alicepass1; "
                          "createUser CO officer2 officer2pw; listUsers; deleteUser CU alice")


verify = verify_json


def rewrite(home, lines):
    (cluster_dir(home) / "audit.log").write_bytes(b"".join(lines))


def test_an_intact_log_verifies_against_the_head(capsys, logged):
    status, report = verify(capsys, logged)
    assert status == 0 and report["data"]["ok"] and report["data"]["head_checked"]
    assert report["data"]["log"] == str(cluster_dir(logged) / "audit.log")
    assert report["data"]["records"] == len(log_lines(logged)) and report["data"]["checkpoints"] >= 2


@pytest.mark.parametrize("damage, bad, words", [
    ("edit", 5, "hash mismatch"),
    ("delete", 5, "records were removed"),
    ("reorder", 5, "reordered"),
    ("cut", None, "the tail was cut"),
    ("cut-mid-record", None, "not a well-formed record"),
    ("append", None, "reordered or repeated"),
    ("tail-byte", 5, "not a well-formed record"),     # the bytes after the hashed part
    ("hash-digit", 5, "hash mismatch"),
    ("genesis", 1, "hash mismatch"),
])
def test_each_kind_of_damage_names_the_first_bad_record(capsys, logged, damage, bad, words):
    lines = log_lines(logged)
    last = len(lines)
    if damage == "edit":
        at = lines[4].index(b'"time":"') + 12          # one digit of the year
        lines[4] = lines[4][:at] + bytes([lines[4][at] ^ 1]) + lines[4][at + 1:]
    elif damage == "delete":
        del lines[4]
    elif damage == "reorder":
        lines[4], lines[5] = lines[5], lines[4]
    elif damage == "cut":              # more than the last transaction (see the test below)
        lines = lines[:-3]
        bad = last - 2
    elif damage == "tail-byte":
        lines[4] = lines[4][:-2] + b"]\n"
    elif damage == "hash-digit":
        lines[4] = lines[4][:-4] + bytes([lines[4][-4] ^ 1]) + lines[4][-3:]
    elif damage == "genesis":
        at = lines[0].index(b'"cluster":"') + 12
        lines[0] = lines[0][:at] + bytes([lines[0][at] ^ 1]) + lines[0][at + 1:]
    elif damage == "cut-mid-record":
        lines = lines[:-3] + [lines[-3][:40]]
        bad = last - 2
    else:
        lines.append(lines[-1])
        bad = last + 1
    rewrite(logged, lines)
    status, report = verify(capsys, logged)
    assert status == ExitStatus.AUDIT and report["data"] is None
    error = report["error"]
    assert error["reference"] == "audit-tampered"
    assert error["log"] == str(cluster_dir(logged) / "audit.log")
    assert error["first_bad_record"] == bad and words in error["problem"]
    assert f"record {bad}:" in error["message"]
    status, out, err = cli(capsys, logged, "audit", "verify")
    assert status == ExitStatus.AUDIT and f"record {bad}: " in err


def test_a_copied_log_is_checked_without_the_head(capsys, logged, tmp_path):
    copy = tmp_path / "copy.log"
    shutil.copy(cluster_dir(logged) / "audit.log", copy)
    status, report = verify(capsys, logged, str(copy))
    assert status == 0 and report["data"]["head_checked"] is False
    status, report = verify(capsys, logged, str(cluster_dir(logged) / "audit.log"))
    assert report["data"]["head_checked"] is True          # the cluster's own log, named


def test_verify_completes_an_append_a_crash_interrupted(capsys, logged):
    """Killed between COMMIT and the append: the record is in the state, not yet in the log.
    (Cutting only the last transaction's records looks the same, and is undone the same way:
    the state holds those records.)"""
    from hsmshell.audit.log import read_head, write_head
    from hsmshell.state.db import ClusterDB
    lines = log_lines(logged)
    rewrite(logged, lines[:-1])
    db = ClusterDB(cluster_dir(logged))
    try:
        write_head(db, read_head(db)._replace(pending=lines[-1].decode("ascii")))
    finally:
        db.close()
    status, report = verify(capsys, logged)
    assert status == 0 and report["data"]["records"] == len(lines) and report["data"]["restored"] == 1
    assert log_lines(logged) == lines
