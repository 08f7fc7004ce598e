"""Keys on the emulated cluster: the issue's scenario, ownership and sharing."""

from __future__ import annotations

from key_fixtures import keys, needs_openssl, openssl, openssl_verifies  # noqa: F401 (fixture)

DATA = b"pay 100 to bob\n" * 20


def make_keys(k) -> dict:
    aes = k.ok("genSymKey -t 31 -s 32 -l aes-main")
    rsa = k.ok("genRSAKeyPair -m 2048 -e 65537 -l rsa-main")
    ec = k.ok("genECCKeyPair -i 2 -l ec-main")
    return {"aes": aes["key_handle"], "rsa_pub": rsa["public_key_handle"],
            "rsa": rsa["private_key_handle"], "ec_pub": ec["public_key_handle"],
            "ec": ec["private_key_handle"]}


@needs_openssl
def test_done_when_scenario(keys):
    k = keys
    handles = make_keys(k)
    assert all(isinstance(h, int) for h in handles.values())
    assert len(set(handles.values())) == 5
    k.ok(f"shareKey {handles['rsa']} {k.user_ids['bob']} 1")
    assert k.ok(f"getKeyInfo -k {handles['rsa']}")["shared_with"] == [k.user_ids["bob"]]
    pub = k.file("rsa.pem")
    k.ok(f"exportPubKey -k {handles['rsa_pub']} -out {pub}")

    # bob signs with the shared private key; openssl verifies it with the exported public key
    k.login("bob")
    data, signature = k.file("data", DATA), k.file("data.sig")
    k.ok(f"sign -f {data} -k {handles['rsa']} -m 1 -out {signature}")
    assert openssl_verifies(pub, data, signature)
    # ... but may not delete, export, wrap, share or change it (the HSM refuses: exit 1)
    for line in (f"deleteKey -k {handles['rsa']}",
                 f"exportPrivateKey -k {handles['rsa']} -w {handles['aes']} -out {k.file('x.pem')}",
                 f"wrapKey -k {handles['rsa']} -w {handles['aes']} -out {k.file('x.bin')}",
                 f"shareKey {handles['rsa']} {k.user_ids['carol']} 1",
                 f"setAttribute {handles['rsa']} 3 renamed",
                 f"setAttribute {handles['rsa']} 264 0"):
        error = k.fails(line, "key-access-denied", 1)
        assert "Key Access is denied" in error["message"]
    # keys that are neither bob's nor shared with him (public keys excepted) are refused too
    k.fails(f"getAttribute {handles['aes']} 3", "key-access-denied", 1)
    k.fails(f"sign -f {data} -k {handles['ec']} -m 17 -out {signature}", "key-access-denied", 1)
    assert k.ok(f"getAttribute {handles['ec_pub']} 0")["attributes"][0]["value"] == 2
    assert sorted(k.handles()) == sorted([handles["rsa"], handles["rsa_pub"], handles["ec_pub"]])

    # a CO can neither generate nor use keys (the policy refuses: exit 3) ...
    k.login("admin")
    k.fails("genSymKey -t 31 -s 32 -l co-key", "permission-denied", 3)
    k.fails(f"sign -f {data} -k {handles['rsa']} -m 1 -out {signature}", "permission-denied", 3)
    k.fails("findKey", "permission-denied", 3)
    # ... but sees every key with findAllKeys, on every HSM
    found = k.ok("findAllKeys")
    assert len(found["servers"]) == 3
    for server in found["servers"]:
        by_handle = {key["key_handle"]: key for key in server["keys"]}
        assert sorted(by_handle) == sorted(handles.values())
        assert {key["owner"] for key in server["keys"]} == {k.user_ids["alice"]}
        assert by_handle[handles["rsa"]]["shared_with"] == [k.user_ids["bob"]]


@needs_openssl
def test_openssl_private_keys_imported_into_the_shell_sign_what_openssl_verifies(keys):
    k = keys
    aes = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    data = k.file("data", DATA)
    for algorithm, options, mechanism, name in (
            ("RSA", ["-pkeyopt", "rsa_keygen_bits:2048"], 1, "rsa"),
            ("EC", ["-pkeyopt", "ec_paramgen_curve:P-256"], 17, "ec")):
        key, pub, sig = k.file(f"{name}.key"), k.file(f"{name}.pub"), k.file(f"{name}.sig")
        assert openssl("genpkey", "-algorithm", algorithm, *options, "-out", key).returncode == 0
        assert openssl("pkey", "-in", key, "-pubout", "-out", pub).returncode == 0
        imported = k.ok(f"importPrivateKey -l imported-{name} -f {key} -w {aes}")
        handle = imported["key_handle"]
        attributes = {a["id"]: a["value"] for a in k.ok(f"getAttribute {handle} 512")["attributes"]}
        assert attributes[355] == 0                      # OBJ_ATTR_LOCAL: imported
        assert attributes[0] == 3                        # a private key
        k.ok(f"sign -f {data} -k {handle} -m {mechanism} -out {sig}")
        assert openssl_verifies(pub, data, sig)
        # the public key imported too verifies the shell's signature in the shell
        pub_handle = k.ok(f"importPubKey -l imported-{name}-pub -f {pub}")["key_handle"]
        k.ok(f"verify -f {data} -s {sig} -k {pub_handle} -m {mechanism}")


def test_public_keys_are_usable_by_every_crypto_user_but_changed_only_by_the_owner(keys):
    k = keys
    pair = k.ok("genECCKeyPair -i 16 -l ec-k1")
    data, sig = k.file("data", DATA), k.file("sig")
    k.ok(f"sign -f {data} -k {pair['private_key_handle']} -m 17 -out {sig}")
    k.login("carol")
    verified = k.ok(f"verify -f {data} -s {sig} -k {pair['public_key_handle']} -m 17")
    assert verified["verified"] is True
    assert k.ok(f"getKeyInfo {pair['public_key_handle']}")["owner"] == k.user_ids["alice"]
    k.fails(f"deleteKey -k {pair['public_key_handle']}", "key-access-denied", 1)
    k.login("alice")
    k.fails(f"shareKey {pair['public_key_handle']} {k.user_ids['carol']} 1", "invalid-argument", 2)


def test_a_bad_signature_fails_verification(keys):
    k = keys
    pair = k.ok("genECCKeyPair -i 14 -l p384")
    data, sig = k.file("data", DATA), k.file("sig")
    k.ok(f"sign -f {data} -k {pair['private_key_handle']} -m 18 -out {sig}")
    k.file("data", DATA + b"tampered")
    error = k.fails(f"verify -f {data} -s {sig} -k {pair['public_key_handle']} -m 18",
                    "signature-invalid", 1)
    assert "ERR_BAD_PKCS_DATA" in error["message"]


def test_sharing_and_unsharing(keys):
    k = keys
    aes = k.ok("genSymKey -t 31 -s 16 -l shared -u {bob},{carol}".format(**k.user_ids))["key_handle"]
    info = k.ok(f"getKeyInfo -k {aes}")
    assert info["owner"] == k.user_ids["alice"]
    assert info["shared_with"] == sorted([k.user_ids["bob"], k.user_ids["carol"]])
    result = k.ok(f"shareKey {aes} {k.user_ids['carol']} 0")
    assert [s["status"] for s in result["servers"]] == ["success"] * 3
    assert k.ok(f"getKeyInfo -k {aes}")["shared_with"] == [k.user_ids["bob"]]
    k.login("carol")
    k.fails(f"getKeyInfo -k {aes}", "key-access-denied", 1)
    k.login("bob")
    assert k.ok(f"findKey -l shared")["key_handles"] == [aes]


def test_sharing_checks_the_users_it_is_given(keys):
    k = keys
    aes = k.ok("genSymKey -t 31 -s 16 -l k")["key_handle"]
    k.fails(f"shareKey {aes} {k.user_ids['alice']} 1", "invalid-argument", 2)   # the owner
    k.fails(f"shareKey {aes} 99 1", "no-such-user", 1)
    k.fails(f"shareKey {aes} 1 1", "invalid-argument", 2)                       # the CO
    k.fails(f"genSymKey -t 31 -s 16 -l k -u {k.user_ids['alice']}", "invalid-argument", 2)
    assert k.handles() == [aes]                                                 # nothing made


def test_the_owner_deletes_one_half_of_a_pair(keys):
    k = keys
    pair = k.ok("genECCKeyPair -i 2 -l pair")
    deleted = k.ok(f"deleteKey -k {pair['private_key_handle']}")
    assert [s["status"] for s in deleted["servers"]] == ["success"] * 3
    assert k.handles() == [pair["public_key_handle"]]
    error = k.fails(f"getKeyInfo -k {pair['private_key_handle']}", "no-such-key", 1)
    assert "Invalid object handle" in error["message"]


def test_a_crypto_user_who_owns_keys_cannot_be_deleted(keys):
    k = keys
    handle = k.ok("genSymKey -t 21 -s 24 -l des")["key_handle"]
    k.login("admin")
    k.fails("deleteUser CU alice", "permission-denied", 3)
    k.login("alice")
    k.ok(f"deleteKey {handle}")
    k.login("admin")
    k.ok("deleteUser CU alice")


def test_deleting_a_user_removes_what_was_shared_with_them(keys):
    k = keys
    handle = k.ok(f"genSymKey -t 31 -s 32 -l s -u {k.user_ids['carol']}")["key_handle"]
    k.login("admin")
    k.ok("deleteUser CU carol")
    k.login("alice")
    assert k.ok(f"getKeyInfo -k {handle}")["shared_with"] == []


def test_find_all_keys_marks_owned_and_shared_keys_and_hashes_ownership(keys):
    k = keys
    mine = k.ok("genSymKey -t 31 -s 32 -l a")["key_handle"]
    k.login("bob")
    bobs = k.ok(f"genSymKey -t 31 -s 32 -l b -u {k.user_ids['alice']}")["key_handle"]
    k.login("admin")
    found = k.ok(f"findAllKeys {k.user_ids['alice']} 1")
    hashes = {s["key_hash"] for s in found["servers"]}
    assert len(hashes) == 1 and None not in hashes               # the HSMs agree
    for server in found["servers"]:
        marks = {key["key_handle"]: key["owned"] for key in server["keys"]}
        assert marks == {mine: True, bobs: False}
    nobody = k.ok(f"findAllKeys {k.user_ids['carol']} 1")
    assert all(s["keys"] == [] and s["key_hash"] is None for s in nobody["servers"])
    k.login("alice")
    k.fails("findAllKeys", "permission-denied", 3)
