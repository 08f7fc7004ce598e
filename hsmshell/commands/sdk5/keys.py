"""The key group (AWS's CloudHSM CLI pages): the same actions as KMU's genSymKey,
findKey, deleteKey, shareKey, setAttribute and exportPubKey."""

from hsmshell.commands.sdk5.args import (APPROVAL, ATTRIBUTES, CLUSTER_ID, FILTER, LABEL,
                                         MANAGE_QUORUM, ROLE, SESSION, SHARE_USERS, TOOL,
                                         USE_QUORUM, USERNAME, option, switch)
from hsmshell.commands.key_args import ATTRIBUTE_RULES, attribute_action
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.sdk5 import CURVES
from hsmshell.model.users import OFFICERS
from hsmshell.model.hsm_rules import CRYPTO_USERS, OFFICERS_AND_AU, per_action

KEY_SYNTAX = ("[--session] [--attributes <NAME=VALUE>...] [--share-crypto-users <USERNAME>...] "
              "[--manage-key-quorum-value <N>] [--use-key-quorum-value <N>]")
KEY_OPTIONS = (SESSION, ATTRIBUTES, SHARE_USERS, MANAGE_QUORUM, USE_QUORUM, CLUSTER_ID)
PAIR_OPTIONS = (
    option("public_label", help="label of the public key"),
    option("private_label", help="label of the private key"),
    SESSION,
    option("public_attributes", "attributes", required=False, default=(),
           help="KEY_ATTRIBUTE_NAME=VALUE words for the public key"),
    option("private_attributes", "attributes", required=False, default=(),
           help="KEY_ATTRIBUTE_NAME=VALUE words for the private key"),
    SHARE_USERS,
    option("manage_private_key_quorum_value", "int", required=False, default=0,
           help="approvals (0-8) needed to manage the private key"),
    option("use_private_key_quorum_value", "int", required=False, default=0,
           help="approvals (0-8) needed to use the private key"),
    CLUSTER_ID)
PAIR_SYNTAX = ("--public-label <PUBLIC_LABEL> --private-label <PRIVATE_LABEL> [--session] "
               "[--public-attributes ...] [--private-attributes ...] [--share-crypto-users ...] "
               "[--manage-private-key-quorum-value <N>] [--use-private-key-quorum-value <N>]")


def _list_action(args: dict, principal) -> str:
    """Admins list keys too (without detail): CMU's findAllKeys permission, not findKey's."""
    return "key.find_all" if principal is not None and principal.user_type in OFFICERS else "key.find"


_list_action.possible_actions = ("key.find", "key.find_all")

LENGTH = option("key_length_bytes", "int", help="AES: 16, 24 or 32; generic secret: 1 to 800")

SPECS = [
    CommandSpec("key generate-symmetric aes", "key.generate", "generate an AES key",
                f"key generate-symmetric aes [OPTIONS] --label <LABEL> --key-length-bytes <KEY_LENGTH_BYTES> {KEY_SYNTAX}",
                (LABEL, LENGTH, *KEY_OPTIONS), opcode="CN_GENERATE_KEY", tool=TOOL,
                details="Keys are token keys unless --session is given.",
                hsm=CRYPTO_USERS, views=("sdk5_key",), backends=("emulator", "cloudhsm")),
    CommandSpec("key generate-symmetric generic-secret", "key.generate", "generate a generic secret (HMAC) key",
                f"key generate-symmetric generic-secret [OPTIONS] --label <LABEL> --key-length-bytes <KEY_LENGTH_BYTES> {KEY_SYNTAX}",
                (LABEL, LENGTH, *KEY_OPTIONS), opcode="CN_GENERATE_KEY", tool=TOOL,
                hsm=CRYPTO_USERS, views=("sdk5_key",), backends=("emulator", "cloudhsm")),
    CommandSpec("key generate-asymmetric-pair rsa", "key.generate", "generate an RSA key pair",
                f"key generate-asymmetric-pair rsa [OPTIONS] {PAIR_SYNTAX} --modulus-size-bits <BITS> --public-exponent <E>",
                (*PAIR_OPTIONS,
                 option("modulus_size_bits", "int", help="2048, 3072 or 4096"),
                 option("public_exponent", "int", help="odd, at least 65537")),
                opcode="CN_GENERATE_KEY_PAIR", tool=TOOL,
                hsm=CRYPTO_USERS, views=("sdk5_key_pair",), backends=("emulator", "cloudhsm")),
    CommandSpec("key generate-asymmetric-pair ec", "key.generate", "generate an EC key pair",
                f"key generate-asymmetric-pair ec [OPTIONS] {PAIR_SYNTAX} --curve <CURVE>",
                (*PAIR_OPTIONS,
                 option("curve", "choice", choices=tuple(CURVES),
                        help=", ".join(CURVES))),
                opcode="CN_GENERATE_KEY_PAIR", tool=TOOL,
                hsm=CRYPTO_USERS, views=("sdk5_key_pair",), backends=("emulator", "cloudhsm")),
    CommandSpec("key list", "key.find", "list the keys you can see, filtered by attributes",
                "key list [OPTIONS] [--filter <FILTER>...] [--max-items <N>] [--starting-token <T>] [--verbose]",
                (option("filter", "filter", required=False, default=(),
                        help="key-reference=0x... or attr.NAME=VALUE words (ANDed)"),
                 option("max_items", "int", required=False, default=10,
                        help="how many keys to return (default 10); next_token resumes"),
                 option("starting_token", "int", required=False, default=0,
                        help="the next_token of a previous, truncated listing"),
                 switch("verbose", "all attributes and key information of each key", short="-v"),
                 CLUSTER_ID),
                tool=TOOL, resolve_action=_list_action,
                details="Crypto users see keys they own or share and every public key; admins "
                        "see every key, without --verbose detail.",
                hsm=per_action(**{"key.find": CRYPTO_USERS, "key.find_all": OFFICERS_AND_AU}), views=("sdk5_keys",), backends=("emulator", "cloudhsm")),
    CommandSpec("key delete", "key.delete", "delete a key you own", "key delete [OPTIONS] --filter <FILTER>...",
                (FILTER, APPROVAL, CLUSTER_ID), opcode="CN_DESTROY_OBJECT", tool=TOOL,
                details="One key at a time; deleting one half of a pair leaves the other.",
                hsm=CRYPTO_USERS, views=("sdk5_message",), backends=("emulator", "cloudhsm")),
    CommandSpec("key share", "key.share", "share a key you own with a crypto user",
                "key share [OPTIONS] --filter <FILTER>... --username <USERNAME> --role <ROLE>",
                (FILTER, USERNAME, ROLE, APPROVAL, CLUSTER_ID), opcode="CN_SHARE_OBJECT", tool=TOOL,
                hsm=CRYPTO_USERS, views=("sdk5_message",), backends=("emulator", "cloudhsm")),
    CommandSpec("key unshare", "key.share", "stop sharing a key you own with a crypto user",
                "key unshare [OPTIONS] --filter <FILTER>... --username <USERNAME> --role <ROLE>",
                (FILTER, USERNAME, ROLE, APPROVAL, CLUSTER_ID), opcode="CN_SHARE_OBJECT", tool=TOOL,
                hsm=CRYPTO_USERS, views=("sdk5_message",), backends=("emulator", "cloudhsm")),
    CommandSpec("key set-attribute", "key.attributes.set", "change an attribute of a key you own",
                "key set-attribute [OPTIONS] --filter <FILTER>... --name <KEY_ATTRIBUTE> --value <VALUE>",
                (FILTER, option("name", help="label, encrypt, decrypt, wrap, unwrap, sign, verify, "
                                             "derive, destroyable, wrap-with-trusted, token; "
                                             "trusted (admins)"),
                 option("value", help="true/false, or the new label"), APPROVAL, CLUSTER_ID),
                opcode="CN_MODIFY_OBJECT", tool=TOOL, resolve_action=attribute_action,
                details="Only an admin may set trusted (on any key); crypto users change the "
                        "other attributes of keys they own.",
                hsm=ATTRIBUTE_RULES, views=("sdk5_message",), backends=("emulator", "cloudhsm")),
    CommandSpec("key generate-file", "key.export", "write a key file: a public key's PEM, or a reference PEM",
                "key generate-file [OPTIONS] --encoding <ENCODING> --path <PATH> --filter <FILTER>...",
                (option("encoding", "choice", choices=("reference-pem", "pem"),
                        help="pem: public keys; reference-pem: a fake PEM naming a private key"),
                 option("path", "path", help="the file to write"), FILTER, APPROVAL, CLUSTER_ID),
                tool=TOOL, details="No private key material leaves the HSM.",
                hsm=CRYPTO_USERS, views=("sdk5_message",), backends=("emulator", "cloudhsm")),
]

