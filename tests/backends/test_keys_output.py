"""How key results look: the classic KMU/CMU text (AWS's key_mgmt_util pages) and the rich tables."""

from __future__ import annotations

from key_fixtures import PASSWORDS, keys  # noqa: F401 (fixture)


def shown(k, output: str, line: str) -> tuple[int, str, str]:
    """Run one line in a shell with this output; returns (status, stdout, stderr)."""
    shell = k.h.shell
    if shell.env.output != output:
        shell = k.h.open(output=output)
        shell.run(f"loginHSM CU alice {PASSWORDS['alice']}", "t")
    out, err = shell.env.stdout, shell.env.stderr
    start_out, start_err = out.tell(), err.tell()
    outcome = shell.run(line, "t")
    return int(outcome.status), out.getvalue()[start_out:], err.getvalue()[start_err:]


def test_classic_kmu_text_of_key_generation_and_deletion(keys):
    k = keys
    status, text, _ = shown(k, "classic", "genSymKey -t 31 -s 32 -l aes256")
    handle = int(text.split("Key Handle: ")[1].split()[0])
    assert status == 0
    assert text.splitlines()[:3] == ["Cfm3GenerateSymmetricKey returned: 0x00 : HSM Return: SUCCESS",
                                     "", f"Symmetric Key Created.  Key Handle: {handle}"]
    assert "\nCluster Error Status\n" in text
    for node in range(3):
        assert f"Node id {node} and err state 0x00000000 : HSM Return: SUCCESS" in text
    _, text, _ = shown(k, "classic", "genECCKeyPair -i 2 -l ec -attest")
    assert "Attestation Check : [PASS]" in text
    assert "Cfm3GenerateKeyPair returned: 0x00 : HSM Return: SUCCESS" in text
    assert "Cfm3GenerateKeyPair:    public key handle: " in text and "    private key handle: " in text
    _, text, _ = shown(k, "classic", "findKey")
    assert text.splitlines()[0] == "Total number of keys present 3"
    assert " number of keys matched from start index 0::2" in text
    assert text.rstrip().endswith("Cfm3FindKey returned: 0x00 : HSM Return: SUCCESS")
    status, text, _ = shown(k, "classic", f"deleteKey -k {handle}")
    assert status == 0 and text.startswith("Cfm3DeleteKey returned: 0x00 : HSM Return: SUCCESS")


def test_classic_get_key_info_and_kmu_errors(keys):
    k = keys
    ids = k.user_ids
    handle = k.ok(f"genSymKey -t 31 -s 32 -l q -m_value 2 -u {ids['bob']},{ids['carol']}")["key_handle"]
    plain = k.ok(f"genSymKey -t 31 -s 32 -l p -u {ids['bob']}")["key_handle"]
    status, text, _ = shown(k, "classic", f"getKeyInfo -k {handle}")
    assert status == 0
    assert text.splitlines()[0] == "Cfm3GetKey returned: 0x00 : HSM Return: SUCCESS"
    assert f"Owned by user {ids['alice']}" in text
    assert "also, shared to following 2 user(s):" in text
    assert f"                 {ids['bob']}\n                 {ids['carol']}\n" in text     # one a line
    assert " 2 Users need to approve to use/manage this key" in text
    shown(k, "classic", "logoutHSM")
    shown(k, "classic", f"loginHSM CU bob {PASSWORDS['bob']}")
    status, _, err = shown(k, "classic", f"deleteKey -k {plain}")
    assert status == 1
    assert err.splitlines()[0] == "Cfm3DeleteKey returned: 0xc6 : HSM Error: Key Access is denied"
    status, _, err = shown(k, "classic", "getKeyInfo -k 12345")
    assert err.splitlines()[0] == \
        "Cfm3GetKey returned: 0xa8 : HSM Error: Invalid object handle is passed to this operation"


def test_classic_cmu_commands_report_per_server(keys):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l s")["key_handle"]
    status, text, _ = shown(k, "classic", f"shareKey {handle} {k.user_ids['bob']} 1")
    assert status == 0
    assert "shareKey success on server 0(" in text and "shareKey success on server 2(" in text
    _, text, _ = shown(k, "classic", f"getAttribute {handle} 354")
    assert "OBJ_ATTR_EXTRACTABLE\n0x00000001\n" in text
    _, text, _ = shown(k, "classic", "listAttributes")
    assert "OBJ_ATTR_KCV" in text and "= 371" in text


def test_rich_tables(keys):
    k = keys
    handle = k.ok("genSymKey -t 31 -s 32 -l table-label")["key_handle"]
    status, text, _ = shown(k, "rich", "findKey")
    assert status == 0 and str(handle) in text and "table-label" in text and "AES secret" in text
    _, text, _ = shown(k, "rich", f"getAttribute {handle} 512")
    assert "OBJ_ATTR_LABEL" in text and "OBJ_ATTR_KCV" in text and "0x0000001f" in text
    _, text, _ = shown(k, "rich", f"getKeyInfo {handle}")
    assert "owner" in text and f"user {k.user_ids['alice']}" in text
    _, text, _ = shown(k, "rich", "genRSAKeyPair -m 2048 -l rich-rsa")
    assert "public key handle" in text and "private key handle" in text
    status, _, err = shown(k, "rich", "getKeyInfo -k 999")
    assert status == 1 and "error[no-such-key]" in err
