"""extractMaskedObject / insertMaskedObject (AWS's key_mgmt_util-extractMaskedObject and
key_mgmt_util-insertMaskedObject pages): the object is encrypted under the cluster's masking
key, inserts as a new key of the same cluster with the same material, attributes, owner and
sharing, and is refused by any other cluster and when altered."""

from __future__ import annotations

import json

from key_fixtures import OFFICER, PASSWORDS, keys  # noqa: F401 (fixture)


def test_a_masked_key_comes_back_as_a_new_key_with_the_same_material_and_owner(keys):
    k = keys
    bob = k.user_ids["bob"]
    made = k.ok(f"genSymKey -t 31 -s 32 -l lbl-7f3a -u {bob} -nex")
    handle = made["key_handle"]
    out = k.file("maskedObj")
    data = k.ok(f"extractMaskedObject -o {handle} -out {out}")
    assert data["key_handle"] == handle and data["file"] == str(out)
    blob = out.read_bytes()
    assert len(blob) == data["length"] and out.stat().st_mode & 0o077 == 0
    assert b"lbl-7f3a" not in blob and made["kcv"].encode() not in blob    # encrypted, label and all
    inserted = k.ok(f"insertMaskedObject -f {out}")
    new = inserted["key_handle"]
    assert new != handle and inserted["kcv"] == made["kcv"]             # the same key bytes
    assert {s["status"] for s in inserted["servers"]} == {"success"}
    info = k.ok(f"getKeyInfo -k {new}")
    assert info["owner"] == k.user_ids["alice"] and info["shared_with"] == [bob]
    attributes = {a["name"]: a["value"] for a in k.ok(f"getAttribute -o {new} -a 512")["attributes"]}
    assert attributes["OBJ_ATTR_LABEL"] == "lbl-7f3a" and attributes["OBJ_ATTR_EXTRACTABLE"] == 0
    k.login("bob")                                                      # shared with bob as before
    k.file("data", b"x" * 40)
    k.ok(f"aesWrapUnwrap -m 1 -f {k.file('data')} -w {new} -out {k.file('wrapped')}")


def test_another_cluster_and_altered_objects_are_refused(keys, harness_class, tmp_path):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l mine")["key_handle"]
    out = k.file("maskedObj")
    k.ok(f"extractMaskedObject -o {handle} -out {out}")
    altered = bytearray(out.read_bytes())
    altered[-1] ^= 1
    k.fails(f"insertMaskedObject -f {k.file('altered', bytes(altered))}", "masked-object-invalid", 1)
    k.fails(f"insertMaskedObject -f {k.file('plain', b'not a masked object')}", "masked-object-invalid", 1)
    other = harness_class(tmp_path / "other-home")           # another cluster, same user names
    try:
        other.activate()
        other.ok(f"createUser CU alice {PASSWORDS['alice']}")
        other.ok("logoutHSM")
        other.ok(f"loginHSM CU alice {PASSWORDS['alice']}")
        other.ok("genSymKey -t 31 -s 32 -l theirs")
        theirs = tmp_path / "theirs"
        other.ok(f"extractMaskedObject -o 262145 -out {theirs}")     # the other cluster has a masking key too
        outcome, printed = other.run(f"insertMaskedObject -f {out}")
        assert outcome.status == 1 and printed[-1]["error"]["reference"] == "masked-object-invalid"
        k.fails(f"insertMaskedObject -f {theirs}", "masked-object-invalid", 1)
    finally:
        other.close()


def test_who_may_mask_a_key(keys):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l alices")["key_handle"]
    k.login("bob")
    k.fails(f"extractMaskedObject -o {handle} -out {k.file('x')}", "key-access-denied", 1)
    k.fails(f"extractMaskedObject -o 999999 -out {k.file('x')}", "no-such-key", 1)
    k.login(OFFICER[0])                                   # any crypto officer may (the permission table)
    k.ok(f"extractMaskedObject -o {handle} -out {k.file('by-co')}")
    inserted = k.ok(f"insertMaskedObject -f {k.file('by-co')}")
    k.login("alice")
    assert k.ok(f"getKeyInfo -k {inserted['key_handle']}")["owner"] == k.user_ids["alice"]


def test_audit_replay_needs_no_masked_object_file(keys, capsys):
    """The record keeps the object's open part (never its material); replay stands in new
    material of the key's kind and lists the insert as not reproducible, as imSymKey's."""
    from batch_audit_support import cli, json_lines, log_lines
    k = keys
    made = k.ok(f"genRSAKeyPair -m 2048 -e 65537 -l pair -u {k.user_ids['bob']}")
    secret = k.ok("genSymKey -t 31 -s 32 -l aes")["key_handle"]
    for handle in (made["private_key_handle"], made["public_key_handle"], secret):
        k.ok(f"extractMaskedObject -o {handle} -out {k.file(f'obj{handle}')}")
        k.ok(f"insertMaskedObject -f {k.file(f'obj{handle}')}")
    k.h.close()
    log = b"".join(log_lines(k.h.home)).decode()
    assert "material" not in log
    for path in k.files.glob("obj*"):          # replay needs none of the objects again
        path.unlink()
    status, out, err = cli(capsys, k.h.home, "--json", "audit", "replay")
    assert json_lines(out)[0]["data"], (out, err)
    data = json_lines(out)[0]["data"]
    assert status == 0 and data["divergences"] == 0, (json.dumps(data["first_divergence"]), err)
    assert [(n["command"], n["replayed"].split(" ")[0]) for n in data["not_reproducible"]] == \
        [("insertMaskedObject", "replayed")] * 3


def test_every_output_shows_the_masked_object_commands(keys):
    """The rich tables and the classic text, as for the other key-file commands."""
    from test_keys_output import shown
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l k")["key_handle"]
    out = k.file("obj")
    status, text, _ = shown(k, "rich", f"extractMaskedObject -o {handle} -out {out}")
    assert status == 0 and "Masked object written to" in text and str(out) in text
    status, text, _ = shown(k, "rich", f"insertMaskedObject -f {out}")
    assert status == 0 and "Masked object inserted: handle" in text
    status, text, _ = shown(k, "classic", f"extractMaskedObject -o {handle} -out {out}")
    assert text.splitlines()[0] == f'Object was masked and written to file "{out}"'
    status, text, _ = shown(k, "classic", f"insertMaskedObject -f {out}")
    assert text.startswith("Cfm3InsertMaskedObject returned: 0x00 : HSM Return: SUCCESS\n\nNew Key Handle: ")
