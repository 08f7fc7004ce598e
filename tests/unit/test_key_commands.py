"""Parsing the key commands: KMU flags and CMU positions bind to the same arguments; the
command table and the default roles say who may run them."""

from __future__ import annotations

import pytest

from hsmshell.commands import command_table
from hsmshell.errors import InvalidArgument
from hsmshell.parse.binder import parse_line
from hsmshell.model.users import Principal
from hsmshell.policy.engine import decide
from hsmshell.policy.roles import load_policy

TABLE = command_table()
KEY_COMMANDS = [spec for spec in TABLE if spec.action.startswith("key.")]


def args(line: str) -> dict:
    return parse_line(line, TABLE).args


def test_gen_sym_key_flags():
    bound = args("genSymKey -t 31 -s 32 -l aes256 -id wrap01 -nex -sess -u 5,6 -m_value 2 -attest")
    assert bound["key_type"] == 31 and bound["key_size"] == 32 and bound["label"] == "aes256"
    assert bound["key_id"] == "wrap01" and bound["share_with"] == (5, 6) and bound["m_value"] == 2
    assert bound["nex"] is True and bound["sess"] is True and bound["attest"] is True
    plain = args("genSymKey -t 16 -s 512 -l IT_test_key -min_srv 1 -timeout 1")
    assert plain["nex"] is False and plain["share_with"] == () and plain["key_id"] == ""
    assert plain["min_srv"] == 1 and plain["timeout"] == 1


def test_gen_rsa_key_pair_exponent_defaults_to_65537():
    assert args("genRSAKeyPair -m 2048 -l rsa")["public_exponent"] == 65537
    assert args("genRSAKeyPair -m 4096 -e 65539 -l rsa")["public_exponent"] == 65539


@pytest.mark.parametrize("cmu, kmu", [
    ("getAttribute 262170 354", "getAttribute -o 262170 -a 354"),
    ("getAttribute 7 512 attr_7", "getAttribute -o 7 -a 512 -out attr_7"),
    ("setAttribute 14 261 0", "setAttribute -o 14 -a 261 -v 0"),
    ("getKeyInfo 262162", "getKeyInfo -k 262162"),
    ("deleteKey 7", "deleteKey -k 7"),
])
def test_cmu_positions_and_kmu_flags_bind_alike(cmu, kmu):
    assert args(cmu) == args(kmu)


def test_cmu_share_key_and_find_all_keys():
    assert args("shareKey 8 4,5 1") == {"key_handle": 8, "user_ids": (4, 5), "share": "1"}
    assert args("findAllKeys 6 1") == {"user_id": 6, "key_hash": "1"}
    assert args("findAllKeys") == {"user_id": None, "key_hash": "0"}
    with pytest.raises(InvalidArgument):
        parse_line("shareKey 8 4 2", TABLE)


def test_kmu_set_attribute_needs_no_value():
    assert args("setAttribute -o 7 -a 1") == {"key_handle": 7, "attribute": 1, "value": None}


def test_find_key_filters_parse():
    bound = args("findKey -c 4 -t 31 -l k1 -id x -sess 1 -u 3 -kcv 0a0b0c -m mod.bin")
    assert bound == {"key_class": 4, "key_type": 31, "label": "k1", "key_id": "x", "session": "1",
                     "share_with": (3,), "kcv": "0a0b0c", "modulus_file": "mod.bin"}
    assert args("findKey") == {k: None for k in bound}


@pytest.mark.parametrize("line", [
    "genSymKey -t 31 -s 32",                     # -l is required
    "genSymKey -t aes -s 32 -l x",               # a number
    "genSymKey -t 31 -s 32 -l x -u a,b",         # user ids are numbers
    "genSymKey -t 31 -s 32 -l x -bogus",         # unknown option
    "sign -f data -k 7 -out sig",                # -m is required
    "findKey -sess 2",
    "wrapKey -k 7 -w",                            # a flag without its value
])
def test_bad_key_command_lines(line):
    with pytest.raises(InvalidArgument):
        parse_line(line, TABLE)


def test_passphrases_are_secrets():
    invocation = parse_line("exportPrivateKey -k 7 -w 6 -out k.pem -pass hunter2hunter2", TABLE)
    assert "hunter2hunter2" not in invocation.text
    assert "hunter2hunter2" not in invocation.history_text
    assert "passphrase" not in invocation.args or invocation.args["passphrase"].source == "literal"
    assert invocation.secrets["passphrase"].literal == "hunter2hunter2"
    prompted = parse_line("importPrivateKey -l k -f k.pem -w 6 -pass -hpswd", TABLE)
    assert prompted.secrets["passphrase"].source == "prompt"


def test_the_table_describes_every_key_command():
    names = {spec.name for spec in KEY_COMMANDS}
    assert names >= {
        "genSymKey", "genRSAKeyPair", "genECCKeyPair", "findKey", "findSingleKey", "getKeyInfo",
        "getAttribute", "listAttributes", "findAllKeys", "setAttribute", "shareKey", "deleteKey",
        "exSymKey", "imSymKey", "wrapKey", "unWrapKey", "exportPrivateKey", "importPrivateKey",
        "exportPubKey", "importPubKey", "aesWrapUnwrap", "sign", "verify"}
    for spec in KEY_COMMANDS:
        for arg in spec.args:
            if arg.name in ("file", "out", "signature_file", "modulus_file", "wrapping_key_file",
                            "aad_file", "iv_file"):
                assert arg.kind == "path" and arg.complete == "path", (spec.name, arg.name)
            if arg.name.endswith("key_handle"):
                assert arg.kind == "int", (spec.name, arg.name)
    opcodes = {spec.name: spec.opcode for spec in KEY_COMMANDS}
    assert opcodes["genSymKey"] == "CN_GENERATE_KEY"
    assert opcodes["genRSAKeyPair"] == opcodes["genECCKeyPair"] == "CN_GENERATE_KEY_PAIR"
    assert opcodes["deleteKey"] == "CN_DESTROY_OBJECT" and opcodes["shareKey"] == "CN_SHARE_OBJECT"
    assert opcodes["setAttribute"] == "CN_MODIFY_OBJECT" and opcodes["wrapKey"] == "CN_WRAP_KEY"
    assert opcodes["unWrapKey"] == "CN_UNWRAP_KEY" and opcodes["aesWrapUnwrap"] == "CN_NIST_AES_WRAP"


@pytest.mark.parametrize("user_type, allowed, refused", [
    ("CU", ["genSymKey", "sign", "shareKey", "listAttributes"], ["findAllKeys", "createUser"]),
    ("CO", ["findAllKeys", "listAttributes"], ["genSymKey", "sign", "findKey", "deleteKey"]),
    ("AU", ["findAllKeys", "listAttributes"], ["genSymKey", "getKeyInfo"]),
    (None, ["listAttributes"], ["findKey", "findAllKeys"]),
])
def test_default_roles(user_type, allowed, refused):
    policy = load_policy(None, TABLE.actions())
    principal = Principal("someone", user_type, 7) if user_type else None
    for name in allowed:
        assert decide(policy, principal, TABLE.lookup(name), {}).allowed, name
    for name in refused:
        assert not decide(policy, principal, TABLE.lookup(name), {}).allowed, name
