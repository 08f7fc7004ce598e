"""KMS key stores and keys on the emulated cluster: KMS's exceptions for create-key-store and
create-key, the JSON field names, kmsuser's password rotation, keys as kmsuser's AES-256 keys
on every HSM (findAllKeys, HSM logs, audit log), drift, replacement, policy."""

from __future__ import annotations

import base64
import json

from kms_support import ADMIN_PW, KMSUSER_PW, kms  # noqa: F401  (fixture)

STORE_FIELDS = {"CustomKeyStoreId", "CustomKeyStoreName", "CloudHsmClusterId", "TrustAnchorCertificate",
                "ConnectionState", "CreationDate", "CustomKeyStoreType"}


def _connected_with_key(kms, hsms: int = 2, azs: str = "us-east-1a,us-east-1b") -> dict:
    kms.cluster(hsms=hsms, azs=azs)
    kms.store()
    kms.ok("kms", "connect", "shop")
    return kms.ok("kms", "create-key", "shop", "--description", "payments", "--alias", "alias/pay")["KeyMetadata"]


def test_create_key_store_refuses_with_kms_exceptions(kms, tmp_path):
    kms.cluster(name="new", activate=False, kmsuser=False)
    anchor = kms.anchor("new")

    def create(name, cluster, trust_anchor=anchor):
        return kms.fails("kms", "create-key-store", name, "--cluster", cluster, "--trust-anchor", trust_anchor,
                         "--kmsuser-password", "@env:KMSUSER_PW")["exception"]
    assert create("a", "new") == "CloudHsmClusterNotActiveException"
    assert create("a", "nowhere") == "CloudHsmClusterNotFoundException"
    kms.cluster(name="single", hsms=1, azs="us-east-1a,us-east-1b")
    assert create("a", "single", kms.anchor("single")) == "CloudHsmClusterInvalidConfigurationException"
    kms.cluster(name="prod")
    assert create("a", "prod", anchor) == "IncorrectTrustAnchorException"     # another cluster's CA
    kms.ok("cluster", "network", "prod", "--revoke-rule", "outbound")
    assert create("a", "prod", kms.anchor("prod")) == "CloudHsmClusterInvalidConfigurationException"
    kms.ok("cluster", "network", "prod", "--restore-security-group")
    first = kms.store("a", "prod")
    assert kms.store("a", "prod") == first                  # the same properties: the same store (idempotent)
    assert create("b", "prod", kms.anchor("prod")) == "CloudHsmClusterInUseException"
    kms.ok("kms", "connect", "a")
    assert create("a", "single", kms.anchor("single")) == "CustomKeyStoreNameInUseException"
    error = kms.fails("kms", "create-key-store", "c", "--cluster", "prod", "--trust-anchor", anchor,
                      "--kmsuser-password", "short", status=2)
    assert error["reference"] == "invalid-argument"          # never a literal password on the command line


def test_describe_uses_kms_field_names_and_says_the_password_was_rotated(kms):
    kms.cluster()
    store_id = kms.store()
    entry = kms.describe()
    assert STORE_FIELDS <= set(entry) and entry["ConnectionState"] == "DISCONNECTED"
    assert entry["CustomKeyStoreId"] == store_id and store_id.startswith("cks-")
    assert entry["TrustAnchorCertificate"] == open(kms.anchor()).read()
    assert "ConnectionErrorCode" not in entry and entry["KmsuserPasswordRotated"] is None
    kms.ok("kms", "connect", "shop")
    entry = kms.describe()
    assert entry["ConnectionState"] == "CONNECTED" and entry["KmsuserPasswordRotated"]
    assert "no longer works" in entry["KmsuserPasswordNote"]
    # while connected nobody may change kmsuser's password (KMS is logged in as kmsuser)
    status, objs = kms.run("--cluster", "shop", "--yes", "-c",
                           "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser newpass12")
    assert status == 3 and objs[-1]["error"]["reference"] == "permission-denied"
    kms.ok("kms", "disconnect", "shop")
    status, objs = kms.run("--cluster", "shop", "-c", f"loginHSM CU kmsuser {KMSUSER_PW}")
    assert status == 1 and objs[-1]["error"]["reference"] == "login-failed"     # the old password is gone
    # the documented way back in: a CO sets a password, log in as kmsuser, log out, tell KMS, reconnect
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser newpass12")
    kms.shell("shop", "loginHSM CU kmsuser newpass12; logoutHSM")
    assert kms.fails("kms", "connect", "shop")["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    kms.ok("kms", "disconnect", "shop")
    kms.capsys.readouterr()
    import os
    os.environ["KMSUSER_PW"] = "newpass12"
    kms.ok("kms", "update-key-store", "shop", "--kmsuser-password", "@env:KMSUSER_PW")
    assert kms.ok("kms", "connect", "shop")["ConnectionState"] == "CONNECTED"


def test_a_kms_key_is_an_aes256_key_of_kmsuser_on_every_hsm(kms):
    meta = _connected_with_key(kms, hsms=3, azs="us-east-1a,us-east-1b,us-east-1c")
    assert {k: meta[k] for k in ("KeyState", "Origin", "KeyManager", "KeySpec", "KeyUsage")} == \
        {"KeyState": "Enabled", "Origin": "AWS_CLOUDHSM", "KeyManager": "CUSTOMER",
         "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:111122223333:key/{meta['KeyId']}"
    handle = meta["KmsBackingKeyHandle"]
    objs = kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; listUsers; findAllKeys 3 0")
    kmsuser = {u["user_name"]: u["user_id"] for u in objs[1]["data"]["servers"][0]["users"]}["kmsuser"]
    assert kmsuser == 3
    assert [[k["key_handle"] for k in s["keys"]] for s in objs[2]["data"]["servers"]] == [[handle]] * 3
    # KMS's steps in every HSM's log, as kmsuser's: login, password rotation, the key
    [logs] = kms.run("logs", "--cluster", "shop")[1]
    events = logs["data"]["events"]
    for opcode in ("CN_LOGIN", "CN_CHANGE_PSWD"):
        assert len({e["stream"] for e in events if e["opcode"] == opcode and e.get("user_name") == "kmsuser"}) == 3
    made = [e["opcode"] for e in events if e.get("key_handle") == handle]
    assert sorted(made) == ["CN_GENERATE_KEY", "CN_INSERT_MASKED_OBJECT_USER", "CN_INSERT_MASKED_OBJECT_USER"]
    # the key's attributes: non-extractable AES-256, labelled with the ARN, id = backing key id
    kms.ok("kms", "disconnect", "shop")
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser newpass12")
    attrs = kms.shell("shop", f"loginHSM CU kmsuser newpass12; getAttribute {handle} 512")
    text = json.dumps(attrs[-1]["data"])
    assert meta["Arn"] in text


def test_encrypt_decrypt_with_real_aes_gcm(kms, tmp_path):
    meta = _connected_with_key(kms)
    plain = tmp_path / "msg.txt"
    plain.write_bytes(b"\x00secret\xff" * 10)
    out = kms.ok("kms", "encrypt", "--key-id", "alias/pay", "--plaintext", f"@file:{plain}", "--out",
                 str(tmp_path / "msg.enc"))
    assert out["KeyId"] == meta["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = (tmp_path / "msg.enc").read_bytes()
    assert plain.read_bytes() not in blob and blob.startswith(b"HSMKMS1" + meta["KeyId"].encode())
    back = kms.ok("kms", "decrypt", "--in", str(tmp_path / "msg.enc"))
    assert base64.b64decode(back["Plaintext"]) == plain.read_bytes()
    # the AES-GCM tag covers everything: one changed bit is refused
    bad = bytearray(blob)
    bad[-1] ^= 1
    (tmp_path / "bad.enc").write_bytes(bytes(bad))
    assert kms.fails("kms", "decrypt", "--in", str(tmp_path / "bad.enc"))["exception"] == "InvalidCiphertextException"
    second = kms.ok("kms", "create-key", "shop")["KeyMetadata"]
    assert kms.fails("kms", "decrypt", "--in", str(tmp_path / "msg.enc"), "--key-id",
                     second["KeyId"])["exception"] == "IncorrectKeyException"
    inline = kms.ok("kms", "encrypt", "--key-id", meta["KeyId"], "--plaintext", "hello")
    again = kms.ok("kms", "decrypt", "--ciphertext-blob", inline["CiphertextBlob"])
    assert base64.b64decode(again["Plaintext"]) == b"hello"
    assert kms.fails("kms", "encrypt", "--key-id", "alias/nope", "--plaintext", "x")["exception"] == "NotFoundException"
    big = tmp_path / "big"
    big.write_bytes(b"x" * 4097)
    assert kms.fails("kms", "encrypt", "--key-id", "alias/pay", "--plaintext", f"@file:{big}",
                     status=2)["reference"] == "invalid-argument"


def test_create_key_needs_a_connected_store_and_two_hsms_in_two_zones(kms):
    kms.cluster(hsms=2)
    kms.store()
    assert kms.fails("kms", "create-key", "shop")["exception"] == "CustomKeyStoreInvalidStateException"
    kms.ok("kms", "connect", "shop")
    kms.ok("cluster", "fail-hsm", "shop", "1")
    error = kms.fails("kms", "create-key", "shop")
    assert error["exception"] == "CloudHsmClusterInvalidConfigurationException"
    assert "hsmshell cluster replace shop 1" in error["hint"]


def test_disconnect_makes_keys_unavailable_and_deletes_nothing(kms, tmp_path):
    meta = _connected_with_key(kms)
    kms.ok("kms", "encrypt", "--key-id", "alias/pay", "--plaintext", "hello", "--out", str(tmp_path / "m.enc"))
    done = kms.ok("kms", "disconnect", "shop")
    assert done["ConnectionState"] == "DISCONNECTED" and done["KmsKeysUnavailable"] == 1
    assert kms.ok("kms", "describe-key", "--key-id", meta["KeyId"])["KeyMetadata"]["KeyState"] == "Unavailable"
    error = kms.fails("kms", "decrypt", "--in", str(tmp_path / "m.enc"))
    assert error["exception"] == "KMSInvalidStateException" and "Unavailable" in error["message"]
    keys = kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; findAllKeys 3 0")[-1]["data"]["servers"]
    assert all(len(s["keys"]) == 1 for s in keys)
    assert kms.fails("kms", "delete-key-store", "shop")["exception"] == "CustomKeyStoreHasCMKsException"
    kms.ok("kms", "connect", "shop")
    assert kms.ok("kms", "describe-key", "--key-id", meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_delete_key_store_leaves_the_cluster_alone(kms):
    kms.cluster()
    kms.store()
    kms.ok("kms", "delete-key-store", "shop")
    assert kms.ok("kms", "describe")["CustomKeyStores"] == []
    assert kms.fails("kms", "describe", "shop")["exception"] == "CustomKeyStoreNotFoundException"
    users = kms.shell("shop", "listUsers")[-1]["data"]["servers"][0]["users"]
    assert "kmsuser" in {u["user_name"] for u in users}


def test_cluster_diff_and_check_flag_a_kms_key_missing_on_an_hsm_and_replacement_recopies(kms, tmp_path):
    meta = _connected_with_key(kms, hsms=3, azs="us-east-1a,us-east-1b,us-east-1c")
    handle = meta["KmsBackingKeyHandle"]
    kms.ok("kms", "encrypt", "--key-id", "alias/pay", "--plaintext", "hello", "--out", str(tmp_path / "m.enc"))
    # an admin deletes the material on one HSM (logged in as kmsuser, in server mode)
    kms.ok("kms", "disconnect", "shop")
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser newpass12")
    kms.shell("shop", f"loginHSM CU kmsuser newpass12; server 2; deleteKey -k {handle}; exit; logoutHSM")
    [drift] = kms.run("cluster", "diff", "shop")[1]
    [entry] = drift["data"]["kms_keys"]
    assert entry == {"kms_key_arn": meta["Arn"], "key_handle": handle, "missing_on": [2], "differs_on": []}
    assert drift["data"]["fix"] == ["server 0", f"syncKey {handle} 2", "exit"]
    row = kms.check("shop", "--kmsuser-password", "@env:KMSUSER_PW")["kms-key-material"]
    assert row["Met"] is False and "missing on server(s) 2" in row["Detail"]
    # replacing the HSM clones a healthy one: kmsuser's keys are copied again
    kms.ok("cluster", "fail-hsm", "shop", "2")
    kms.ok("cluster", "replace", "shop", "2")
    [drift] = kms.run("cluster", "diff", "shop")[1]
    assert drift["data"]["in_sync"] and drift["data"]["kms_keys"] == []


def test_policy_and_audit_cover_kms_operations(kms, tmp_path):
    import shutil

    from hsmshell.policy.roles import default_roles_dir

    _connected_with_key(kms)
    roles = tmp_path / "roles"
    shutil.copytree(default_roles_dir(), roles, ignore=shutil.ignore_patterns("__*"))
    (roles / "kms.toml").write_text('role = "KMS"\nallow = ["kms.*"]\ndeny = ["kms.key.decrypt"]\n')
    enc = kms.ok("kms", "encrypt", "--key-id", "alias/pay", "--plaintext", "hello")
    status, objs = kms.run("--roles", str(roles), "kms", "decrypt", "--ciphertext-blob", enc["CiphertextBlob"])
    assert status == 3 and objs[-1]["error"]["reference"] == "permission-denied"
    assert "kms.key.decrypt" in objs[-1]["error"]["message"]
    records = [r for r in kms.run("--cluster", "shop", "audit", "show", "--user", "kmsuser")[1]
               if r.get("kind") == "kms"]
    assert {"kms connect", "kms create-key", "kms encrypt"} <= {r["command"] for r in records}
    assert all(r["principal"]["user"] == "kmsuser" and r["caller"]["type"] == "KMS" for r in records)
    denied = kms.run("--cluster", "shop", "audit", "show", "--denied")[1]
    [refused] = [r for r in denied if r.get("command") == "kms decrypt"]
    assert refused["decision"]["rule"] == "kms.toml: deny kms.key.decrypt"
    log = (kms.home / "clusters" / "shop" / "audit.log").read_text()
    assert KMSUSER_PW not in log and "hello" not in log and ADMIN_PW not in log
    assert kms.ok("--cluster", "shop", "audit", "verify")["records"] > 5


def test_text_outputs_and_other_backends(kms):
    kms.cluster()
    kms.store()
    status, objs = kms.run("--backend", "cloudhsm", "kms", "describe")
    assert status == 5 and objs[-1]["error"]["reference"] == "not-supported-by-backend"
    kms.capsys.readouterr()
    from hsmshell.cli import main
    assert main(["--home", str(kms.home), "--output", "classic", "kms", "check", "shop"]) == 0
    text = kms.capsys.readouterr().out
    assert "[not checked] the kmsuser password" not in text          # the store's password is checked
    assert "Every requirement is met." in text
    assert main(["--home", str(kms.home), "--no-color", "kms", "describe"]) == 0
    assert "shop cks-" in kms.capsys.readouterr().out


def test_audit_replay_reruns_what_kms_did_to_the_hsms(kms, tmp_path):
    meta = _connected_with_key(kms)
    kms.ok("kms", "encrypt", "--key-id", "alias/pay", "--plaintext", "hello", "--out", str(tmp_path / "m.enc"))
    kms.run("--cluster", "shop", "-c", f"loginHSM CU kmsuser {KMSUSER_PW}")     # refused: rotated
    kms.ok("kms", "disconnect", "shop")
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser newpass12")
    kms.shell("shop", f"loginHSM CU kmsuser newpass12; getAttribute {meta['KmsBackingKeyHandle']} 512; logoutHSM")
    kms.shell("shop", "loginHSM CU kmsuser newpass12; genSymKey -t 31 -s 32 -l after-kms")   # the next handle
    report = kms.ok("--cluster", "shop", "audit", "replay")
    assert report["divergences"] == 0 and report["first_divergence"] is None, report
    assert "kms" not in json.dumps(report.get("skipped") or {})


def test_key_deletion_pending_cancel_enable_and_best_effort_material_deletion(kms):
    import time

    meta = _connected_with_key(kms)
    key = meta["KeyId"]
    data = kms.ok("kms", "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7")
    assert data["KeyState"] == "PendingDeletion" and data["PendingWindowInDays"] == 7
    assert kms.fails("kms", "encrypt", "--key-id", key, "--plaintext", "x")["exception"] == "KMSInvalidStateException"
    kms.ok("kms", "disconnect", "shop")                 # PendingDeletion outlasts a disconnect
    assert kms.ok("kms", "describe-key", "--key-id", key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.ok("kms", "connect", "shop")
    assert kms.ok("kms", "cancel-key-deletion", "--key-id", key)["KeyState"] == "Disabled"
    assert kms.fails("kms", "encrypt", "--key-id", key, "--plaintext", "x")["exception"] == "DisabledException"
    assert kms.ok("kms", "enable-key", "--key-id", key)["KeyState"] == "Enabled"
    kms.ok("kms", "encrypt", "--key-id", key, "--plaintext", "x")
    assert kms.fails("kms", "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "3",
                     status=2)["reference"] == "invalid-argument"
    # the window passes: the next look at the keys deletes it, and its material (store connected)
    kms.ok("kms", "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7")
    import io

    from hsmshell.environment import Environment
    from hsmshell.kms.key_deletion import purge_due
    from hsmshell.kms.store import KmsDB
    later = Environment(home=kms.home, stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                        output="json", environ={}, cluster="shop", clock=lambda: time.time() + 8 * 86400)
    with KmsDB(kms.home) as db:
        [done] = purge_due(later, db)
    assert done["BackingKeysDeletionStatus"][0]["deletionStatus"] == "SUCCESS"
    assert kms.ok("kms", "describe", "shop")["CustomKeyStores"][0]["KmsKeyCount"] == 0
    assert kms.fails("kms", "describe-key", "--key-id", key)["exception"] == "NotFoundException"
    servers = kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; findAllKeys 3 0")[-1]["data"]["servers"]
    assert all(s["keys"] == [] for s in servers)
    [logs] = kms.run("logs", "--cluster", "shop")[1]
    assert {e["stream"] for e in logs["data"]["events"] if e["opcode"] == "CN_DESTROY_OBJECT"} == \
        {s["hsm"] for s in servers}


def test_deleting_a_key_while_disconnected_orphans_its_material(kms):
    meta = _connected_with_key(kms)
    kms.ok("kms", "disconnect", "shop")
    data = kms.ok("kms", "schedule-key-deletion", "--key-id", meta["KeyId"], "--now")
    [status] = data["BackingKeysDeletionStatus"]
    assert status["deletionStatus"] == "FAILURE" and status["keyHandle"] == meta["KmsBackingKeyHandle"]
    servers = kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; findAllKeys 3 0")[-1]["data"]["servers"]
    assert all(len(s["keys"]) == 1 for s in servers)          # orphaned material stays
    kms.ok("kms", "delete-key-store", "shop")                  # no KMS key left: the store may go
    report = kms.ok("--cluster", "shop", "audit", "replay")
    assert report["divergences"] == 0, report


def test_deleting_a_key_while_connected_deletes_its_material_and_replays(kms):
    meta = _connected_with_key(kms)
    data = kms.ok("kms", "schedule-key-deletion", "--key-id", "alias/pay", "--now")
    assert data["BackingKeysDeletionStatus"][0]["deletionStatus"] == "SUCCESS"
    kms.ok("kms", "create-key", "shop")                        # the next handle, in replay too
    report = kms.ok("--cluster", "shop", "audit", "replay")
    assert report["divergences"] == 0, report
    assert meta["KmsBackingKeyHandle"] not in [
        k["key_handle"] for s in kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; findAllKeys 3 0")[-1]
        ["data"]["servers"] for k in s["keys"]]


def test_kmsuser_password_is_sealed_in_kms_db_under_a_private_master_key(kms):
    """kms.md: kmsuser's password is kept sealed (AES-256-GCM) under a 0600 master key, bound to
    its store: never in kms.db as text, and a sealed password moved to another store does not open."""
    import os
    import stat
    import sqlite3

    from hsmshell.kms.store import MASTER_KEY, KmsDB
    kms.cluster()
    store_id = kms.store()
    folder = kms.home / "kms"
    assert stat.S_IMODE(os.stat(folder / MASTER_KEY).st_mode) == 0o600
    assert len((folder / MASTER_KEY).read_bytes()) == 32
    with sqlite3.connect(folder / "kms.db") as conn:
        dump = "\n".join(conn.iterdump()).encode()
    assert KMSUSER_PW.encode() not in dump
    db = KmsDB(kms.home)
    try:
        store = db.store(store_id)
        assert db.open_password(store) == KMSUSER_PW
        store.id = "cks-another"
        try:
            db.open_password(store)
        except Exception as e:     # the AAD names the store: InvalidTag
            assert type(e).__name__ == "InvalidTag"
        else:
            raise AssertionError("a sealed password opened for another store")
    finally:
        db.close()
