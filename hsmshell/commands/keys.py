"""Key commands (KMU and CMU): generate, find, inspect, change, share and delete keys.

Moving and using key material (export, import, wrap, sign, verify) is in keys_transfer.py.
"""

from hsmshell.commands import key_args as a
from hsmshell.commands.spec import Arg, CommandSpec
from hsmshell.model.hsm_rules import ANYONE, CRYPTO_USERS, OFFICERS_AND_AU

SPECS = [
    CommandSpec(
        "genSymKey", "key.generate", "generate a symmetric key (AES, 3DES, generic secret)",
        f"genSymKey -t <16|21|31> -s <bytes> -l <label> {a.PLACEMENT_SYNTAX} [-nex] {a.SHARING_SYNTAX}",
        (a.number("key_type", "-t", "16 generic secret, 21 3DES, 31 AES", required=True),
         a.number("key_size", "-s", "size in bytes: AES 16/24/32, 3DES 24, generic 1-3583",
                  required=True),
         a.LABEL, *a.PLACEMENT, a.NON_EXTRACTABLE, *a.SHARING),
        opcode="CN_GENERATE_KEY", tool="kmu",
        details="You own the key. It is copied to every HSM where you exist; -u shares it.",
        hsm=CRYPTO_USERS, views=("key_created",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "genRSAKeyPair", "key.generate", "generate an RSA key pair",
        f"genRSAKeyPair -m <2048|3072|4096> -e <65537> -l <label> {a.PLACEMENT_SYNTAX} [-nex] "
        f"{a.SHARING_SYNTAX}",
        (a.number("modulus_bits", "-m", "modulus length in bits: 2048, 3072 or 4096", required=True),
         a.number("public_exponent", "-e", "public exponent: odd, at least 65537", default=65537),
         a.LABEL, *a.PLACEMENT, a.NON_EXTRACTABLE, *a.SHARING),
        opcode="CN_GENERATE_KEY_PAIR", tool="kmu",
        details="-nex, -u and -m_value apply to the private key; public keys are usable by every CU.",
        hsm=CRYPTO_USERS, views=("key_pair_created",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "genECCKeyPair", "key.generate", "generate an EC key pair",
        f"genECCKeyPair -i <2|14|16|...> -l <label> {a.PLACEMENT_SYNTAX} [-nex] {a.SHARING_SYNTAX}",
        (a.number("curve_id", "-i", "curve: 2 P-256, 14 P-384, 16 secp256k1 (also 13, 15)",
                  required=True),
         a.LABEL, *a.PLACEMENT, a.NON_EXTRACTABLE, *a.SHARING),
        opcode="CN_GENERATE_KEY_PAIR", tool="kmu",
        hsm=CRYPTO_USERS, views=("key_pair_created",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "genDSAKeyPair", "key.generate", "generate a DSA key pair",
        f"genDSAKeyPair -m <2048|3072> -l <label> {a.PLACEMENT_SYNTAX} [-nex] {a.SHARING_SYNTAX}",
        (a.number("modulus_bits", "-m", "modulus length in bits: 2048 or 3072", required=True),
         a.LABEL, *a.PLACEMENT, a.NON_EXTRACTABLE, *a.SHARING),
        opcode="CN_GENERATE_KEY_PAIR", tool="kmu",
        details="-nex, -u and -m_value apply to the private key; public keys are usable by every CU.",
        hsm=CRYPTO_USERS, views=("key_pair_created",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "findKey", "key.find", "list the keys you can use, filtered by attributes",
        "findKey [-c <class>] [-t <type>] [-l <label>] [-id <id>] [-sess <0|1>] [-u <user-ids>] "
        "[-m <modulus-file>] [-kcv <kcv>]",
        (a.number("key_class", "-c", "2 public, 3 private, 4 secret"),
         a.number("key_type", "-t", "0 RSA, 3 EC, 16 generic secret, 21 3DES, 31 AES"),
         Arg("label", "str", flags=("-l",), required=False, help="exact label"),
         Arg("key_id", "str", flags=("-id",), required=False, help="exact key id"),
         Arg("session", "choice", flags=("-sess",), required=False, choices=("0", "1"),
             help="1: session keys only; 0: token keys only"),
         Arg("share_with", "int_list", flags=("-u",), required=False,
             help="only keys these users (and you) can use"),
         a.path("modulus_file", "-m", required=False,
                help="RSA modulus: PEM public key, hex, or raw bytes"),
         Arg("kcv", "str", flags=("-kcv",), required=False, help="key check value, hex")),
        tool="kmu", details="Lists keys you own, keys shared with you, and every public key.",
        hsm=CRYPTO_USERS, views=("keys_found",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "findSingleKey", "key.find", "check that a key is on every HSM", "findSingleKey -k <key-handle>",
        (a.handle(position=0),), tool="kmu",
        hsm=CRYPTO_USERS, views=("key_status",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "getKeyInfo", "key.info", "owner, shared users and quorum value of a key",
        "getKeyInfo -k <key-handle>   (CMU: getKeyInfo <key-handle>)",
        (a.handle(position=0),), tool="both",
        hsm=CRYPTO_USERS, views=("key_info",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "getAttribute", "key.attributes.get", "show one attribute of a key, or all (512)",
        "getAttribute <key-handle> <attribute-id> [<file>]   (KMU: getAttribute -o <handle> -a <id> -out <file>)",
        (a.handle(flag="-o", position=0),
         Arg("attribute", "int", position=1, flags=("-a",), help="attribute id; 512 for all"),
         a.path("out", "-out", "write name/value lines to this file", required=False, position=2)),
        tool="both",
        hsm=CRYPTO_USERS, views=("key_attributes",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec("listAttributes", "key.attributes.list", "list the attribute ids (OBJ_ATTR_*)",
                "listAttributes", tool="both",
                hsm=ANYONE, views=("attribute_ids",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "findAllKeys", "key.find_all", "every key on each HSM, or a user's (CO and AU)",
        "findAllKeys [<user-id> [<key-hash 0|1>]]",
        (Arg("user_id", "int", position=0, required=False, help="only this user's keys"),
         Arg("key_hash", "choice", position=1, required=False, default="0", choices=("0", "1"),
             help="1 adds a hash of key ownership per HSM (compare HSMs for drift)")),
        tool="cmu",
        hsm=OFFICERS_AND_AU, views=("all_keys",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "setAttribute", "key.attributes.set", "change an attribute of a key you own",
        "setAttribute <key-handle> <attribute-id> <value>   (KMU: setAttribute -o <handle> -a 1)",
        (a.handle(flag="-o", position=0),
         Arg("attribute", "int", position=1, flags=("-a",),
             help="1 (session -> token key), or 3, 134, 260-264, 266, 268, 370, 528"),
         Arg("value", "str", position=2, flags=("-v",), required=False, help="0/1, or the label")),
        caution=True, opcode="CN_MODIFY_OBJECT", tool="both", resolve_action=a.attribute_action,
        hsm=a.ATTRIBUTE_RULES, views=("key_status", "per_server"), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "shareKey", "key.share", "share a key you own with crypto users, or unshare it",
        "shareKey <key-handle> <user-ids> <1 share|0 unshare>",
        (a.handle(position=0),
         Arg("user_ids", "int_list", position=1, flags=("-u",), help="user ids, comma-separated"),
         Arg("share", "choice", position=2, choices=("1", "0"), help="1 shares, 0 unshares")),
        caution=True, opcode="CN_SHARE_OBJECT", tool="cmu",
        details="Users a key is shared with may use it, but not delete, export, share or change it.",
        hsm=CRYPTO_USERS, views=("per_server",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "deleteKey", "key.delete", "delete a key you own from every HSM", "deleteKey -k <key-handle>",
        (a.handle(position=0),), opcode="CN_DESTROY_OBJECT", tool="kmu",
        details="Deleting one half of a key pair leaves the other half.",
        hsm=CRYPTO_USERS, views=("key_status",), backends=("emulator", "cloudhsm", "pkcs11")),
]
