"""The rules the emulated HSM enforces on keys: attributes, session keys, ids, limits, drift,
bad input (clear errors, nothing half-created), and what never reaches the audit log."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from key_fixtures import keys  # noqa: F401 (fixture)
from hsmshell.backends.emulator import key_creation


def attributes(k, handle: int) -> dict[int, object]:
    return {a["id"]: a["value"] for a in k.ok(f"getAttribute {handle} 512")["attributes"]}


def test_kcv_and_attributes_of_a_generated_aes_key(keys):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l aes -id app-1")["key_handle"]
    exported = k.file("aes.key")
    k.ok(f"exSymKey -k {handle} -w {handle} -out {exported}")
    raw = exported.read_bytes()
    assert len(raw) == 32
    assert exported.stat().st_mode & 0o077 == 0                 # plaintext key: 0600
    encryptor = Cipher(algorithms.AES(raw), modes.ECB()).encryptor()
    kcv = (encryptor.update(bytes(16)) + encryptor.finalize())[:3]
    values = attributes(k, handle)
    assert values[371] == kcv.hex()
    assert values[0] == 4 and values[256] == 31 and values[353] == 32
    assert values[3] == "aes" and values[258] == "app-1"
    assert values[355] == 1 and values[354] == 1 and values[259] == 1 and values[1] == 1
    # sensitive: the key's value is not an attribute anyone can read
    assert raw.hex() not in str(values)


def test_public_kcv_is_sha1_of_the_public_key(keys):
    k = keys
    pair = k.ok("genECCKeyPair -i 2 -l ec")
    pem = k.file("pub.pem")
    k.ok(f"exportPubKey -k {pair['public_key_handle']} -out {pem}")
    from cryptography.hazmat.primitives import serialization
    spki = serialization.load_pem_public_key(pem.read_bytes()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expected = hashlib.sha1(spki).digest()[:3].hex()
    assert attributes(k, pair["public_key_handle"])[371] == expected
    assert attributes(k, pair["private_key_handle"])[371] == expected
    assert attributes(k, pair["private_key_handle"])[289] == 415          # the curve's NID (P-256; AWS's genECCKeyPair page)


def test_non_extractable_keys_never_leave(keys):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l locked -nex")["key_handle"]
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    assert attributes(k, handle)[354] == 0 and attributes(k, handle)[356] == 1
    out = k.file("out.bin")
    k.fails(f"exSymKey -k {handle} -w {wrapping} -out {out}", "key-not-extractable", 1)
    k.fails(f"wrapKey -k {handle} -w {wrapping} -out {out}", "key-not-extractable", 1)
    assert not out.exists()
    rsa = k.ok("genRSAKeyPair -m 2048 -l rsa -nex")
    k.fails(f"exportPrivateKey -k {rsa['private_key_handle']} -w {wrapping} -out {out}",
            "key-not-extractable", 1)
    assert attributes(k, rsa["public_key_handle"])[354] == 1      # public keys always are


def test_session_keys_vanish_at_logout_unless_made_persistent(keys):
    k = keys
    gone = k.ok("genSymKey -t 31 -s 32 -l temp -sess")["key_handle"]
    kept = k.ok("genSymKey -t 31 -s 32 -l temp2 -sess")["key_handle"]
    token = k.ok("genSymKey -t 31 -s 32 -l token")["key_handle"]
    assert sorted(k.ok("findKey -sess 1")["key_handles"]) == [gone, kept]
    assert k.ok("findKey -sess 0")["key_handles"] == [token]
    k.ok(f"setAttribute -o {kept} -a 1")                         # KMU: session -> token key
    k.fails(f"setAttribute -o {token} -a 1", "invalid-argument", 2)
    k.login("alice")                                             # logout, login
    assert sorted(k.handles()) == [kept, token]
    k.fails(f"getKeyInfo -k {gone}", "no-such-key", 1)


def test_session_keys_of_a_closed_shell_vanish(keys):
    k = keys
    k.ok("genSymKey -t 31 -s 32 -l temp -sess")
    k.h.open()                                   # the old shell quits (and logs out)
    k.login("alice")
    assert k.handles() == []


def test_labels_repeat_but_ids_are_unique(keys):
    k = keys
    first = k.ok("genSymKey -t 31 -s 32 -l same -id unique-1")["key_handle"]
    second = k.ok("genSymKey -t 31 -s 32 -l same")["key_handle"]
    assert sorted(k.ok("findKey -l same")["key_handles"]) == [first, second]
    k.fails("genSymKey -t 31 -s 32 -l other -id unique-1", "invalid-argument", 2)
    k.fails("genECCKeyPair -i 2 -l other -id unique-1", "invalid-argument", 2)
    assert sorted(k.handles()) == [first, second]
    assert k.ok("findKey -id unique-1")["key_handles"] == [first]


def test_find_key_filters(keys):
    k = keys
    aes = k.ok("genSymKey -t 31 -s 16 -l a")["key_handle"]
    des = k.ok("genSymKey -t 21 -s 24 -l d")["key_handle"]
    pair = k.ok("genECCKeyPair -i 2 -l e")
    kcv = attributes(k, aes)[371]
    assert k.ok("findKey -c 4")["key_handles"] == [aes, des]
    assert k.ok("findKey -t 21")["key_handles"] == [des]
    assert k.ok("findKey -c 2")["key_handles"] == [pair["public_key_handle"]]
    assert k.ok(f"findKey -kcv 0x{kcv}")["key_handles"] == [aes]
    assert k.ok(f"findKey -u {k.user_ids['bob']}")["key_handles"] == [pair["public_key_handle"]]
    found = k.ok("findKey -l nothing")
    assert found["key_handles"] == [] and found["total"] == 4
    k.fails("findKey -c 9", "invalid-argument", 2)


def test_find_key_by_rsa_modulus(keys):
    k = keys
    pair = k.ok("genRSAKeyPair -m 2048 -l rsa")
    k.ok("genRSAKeyPair -m 2048 -l other")
    pem = k.file("pub.pem")
    k.ok(f"exportPubKey -k {pair['public_key_handle']} -out {pem}")
    assert k.ok(f"findKey -m {pem}")["key_handles"] == [pair["public_key_handle"],
                                                        pair["private_key_handle"]]
    modulus = k.file("modulus.txt")
    k.ok(f"getAttribute {pair['private_key_handle']} 288 {modulus}")
    assert modulus.read_text().splitlines()[0] == "OBJ_ATTR_MODULUS"
    assert k.ok(f"findKey -c 3 -m {modulus}")["key_handles"] == [pair["private_key_handle"]]


def test_attributes_the_owner_can_change(keys):
    k = keys
    pair = k.ok("genECCKeyPair -i 2 -l ec")
    private = pair["private_key_handle"]
    data, sig = k.file("data", b"data"), k.file("sig")
    changed = k.ok(f"setAttribute {private} 264 0")
    assert [s["status"] for s in changed["servers"]] == ["success"] * 3
    k.fails(f"sign -f {data} -k {private} -m 17 -out {sig}", "key-function-not-permitted", 1)
    k.ok(f"setAttribute {private} 264 1")
    k.ok(f"sign -f {data} -k {private} -m 17 -out {sig}")
    k.ok(f"setAttribute {private} 3 renamed")
    assert k.ok("findKey -l renamed")["key_handles"] == [private]
    k.ok(f"setAttribute {private} 370 0")
    k.fails(f"deleteKey -k {private}", "key-function-not-permitted", 1)
    for line in (f"setAttribute {private} 0 2",           # class: never
                 f"setAttribute {private} 264 2",         # flags are 0 or 1
                 f"setAttribute {private} 264",           # the CMU form needs a value
                 f"setAttribute {private} 999 1",         # no such attribute
                 f"setAttribute {private} 1073742353 1"):  # templates: not emulated
        k.fails(line, "invalid-argument", 2)


def test_get_attribute_to_a_file_as_kmu_writes_it(keys):
    k = keys
    handle = k.ok("genSymKey -t 21 -s 24 -l des")["key_handle"]
    out = k.file("attr")
    data = k.ok(f"getAttribute -o {handle} -a 256 -out {out}")
    assert data["file"] == str(out)
    assert out.read_text() == "OBJ_ATTR_KEY_TYPE\n0x00000015\n"
    k.fails(f"getAttribute {handle} 290", "no-such-attribute", 1)   # no exponent on 3DES


def test_quorum_size_needs_enough_users(keys):
    k = keys
    k.fails("genSymKey -t 31 -s 32 -l q -m_value 2", "invalid-argument", 2)
    k.fails("genSymKey -t 31 -s 32 -l q -m_value 9 -u 4,5", "invalid-argument", 2)
    handle = k.ok(f"genSymKey -t 31 -s 32 -l q -m_value 2 -u {k.user_ids['bob']}")["key_handle"]
    assert k.ok(f"getKeyInfo -k {handle}")["m_value"] == 2
    pair = k.ok(f"genECCKeyPair -i 2 -l q -m_value 2 -u {k.user_ids['bob']}")
    assert k.ok(f"getKeyInfo -k {pair['public_key_handle']}")["m_value"] == 0    # private only


def test_keys_are_copied_only_where_the_owner_exists(keys):
    k = keys
    conn = k.h.shell.db.conn
    hsms = [row[0] for row in conn.execute("SELECT hsm_id FROM hsms ORDER BY server")]
    conn.execute("DELETE FROM users WHERE hsm_id = ? AND name = 'bob'", (hsms[2],))   # drift
    k.login("bob")
    outcome, printed = k.h.run("genSymKey -t 31 -s 32 -l drift")
    assert outcome.status == 7 and printed[-1]["error"]["reference"] == "partial-success"
    created = printed[-1]["data"]
    statuses = [(s["server"], s["status"]) for s in created["servers"]]
    assert statuses == [(0, "success"), (1, "success"), (2, "failed")]
    assert created["servers"][2]["error"]["reference"] == "no-such-user"
    handle = created["key_handle"]
    outcome, printed = k.h.run(f"findSingleKey -k {handle}")
    assert outcome.status == 1
    assert [s["status"] for s in printed[-1]["error"]["servers"]] == ["success", "success", "failed"]
    # changes go to the HSMs holding the key, and do not stop at the drift
    deleted = k.ok(f"deleteKey -k {handle}")
    assert [s["server"] for s in deleted["servers"]] == [0, 1]


def test_min_srv_is_checked_and_nothing_is_half_created(keys):
    k = keys
    k.fails("genSymKey -t 31 -s 32 -l far -min_srv 4", "min-servers-not-met", 1)
    k.h.shell.db.conn.execute("UPDATE hsms SET state = 'DEGRADED' WHERE server = 1")
    created = k.ok("genSymKey -t 31 -s 32 -l two -min_srv 2")
    assert [s["status"] for s in created["servers"]] == ["success", "failed", "success"]
    k.fails("genSymKey -t 31 -s 32 -l three -min_srv 3", "min-servers-not-met", 1)
    assert k.handles() == [created["key_handle"]]


def test_the_key_limits_of_the_cluster(keys, monkeypatch):
    k = keys
    monkeypatch.setattr(key_creation, "MAX_KEYS_PER_CLUSTER", 3)
    monkeypatch.setattr(key_creation, "MAX_ASYMMETRIC_KEYS_PER_CLUSTER", 2)
    k.ok("genECCKeyPair -i 2 -l pair")
    k.fails("genECCKeyPair -i 2 -l second", "limit-exceeded", 1)
    k.ok("genSymKey -t 31 -s 32 -l third")
    error = k.fails("genSymKey -t 31 -s 32 -l fourth", "limit-exceeded", 1)
    assert "at most 3" in error["message"]
    assert len(k.handles()) == 3
    k.ok(f"deleteKey -k {k.handles()[-1]}")         # a freed place counts again, though the
    k.ok("genSymKey -t 31 -s 32 -l again")          # cluster has issued more handles than that
    k.fails("genSymKey -t 31 -s 32 -l fifth", "limit-exceeded", 1)


@pytest.mark.parametrize("line, reference, status", [
    ("genSymKey -t 99 -s 32 -l x", "invalid-argument", 2),            # key type
    ("genSymKey -t 18 -s 16 -l x", "invalid-argument", 2),            # RC4: not in FIPS mode
    ("genSymKey -t 31 -s 20 -l x", "invalid-argument", 2),            # AES size
    ("genSymKey -t 31 -s 32", "invalid-argument", 2),                 # no label
    ("genSymKey -t 31 -s 32 -l x -bogus", "invalid-argument", 2),     # unknown option
    ("genRSAKeyPair -m 1024 -l x", "invalid-argument", 2),            # modulus
    ("genRSAKeyPair -m 2048 -e 3 -l x", "invalid-argument", 2),       # exponent
    ("genECCKeyPair -i 99 -l x", "invalid-argument", 2),              # curve
    ("genECCKeyPair -i 1 -l x", "fips-policy-violation", 1),         # prime192v1 in FIPS mode
    ("getKeyInfo -k 7", "no-such-key", 1),
    ("deleteKey -k 262999", "no-such-key", 1),
    ("getAttribute 7 512", "no-such-key", 1),
])
def test_bad_input_is_refused_and_creates_nothing(keys, line, reference, status):
    k = keys
    k.fails(line, reference, status)
    assert k.handles() == []


def test_no_key_bytes_or_passphrases_in_the_audit_log(keys):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l secret")["key_handle"]
    exported = k.file("key.bin")
    k.ok(f"exSymKey -k {handle} -w {handle} -out {exported}")
    pair = k.ok("genECCKeyPair -i 2 -l ec")
    pem = k.file("ec.pem")
    k.ok(f"exportPrivateKey -k {pair['private_key_handle']} -w {handle} -out {pem} "
         "-pass hunter2hunter2")
    log = (k.h.shell.db.directory / "audit.log").read_bytes()
    raw = exported.read_bytes()
    assert raw.hex().encode() not in log and raw not in log
    assert b"hunter2hunter2" not in log
    assert str(pair["private_key_handle"]).encode() in log                # handles are there
    kek = k.h.shell.db.directory / "key-encryption.key"
    assert kek.stat().st_mode & 0o777 == 0o600
    stored = k.h.shell.db.conn.execute("SELECT material FROM keys WHERE handle = ?", (handle,)).fetchone()[0]
    assert raw not in stored                                               # sealed at rest
