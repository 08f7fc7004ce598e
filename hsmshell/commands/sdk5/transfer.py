"""key import pem, key wrap <mechanism>, key unwrap <mechanism> (AWS's CloudHSM CLI pages):
the actions of KMU's importPubKey, wrapKey and unWrapKey."""

from hsmshell.commands.sdk5.args import (APPROVAL, ATTRIBUTES, CLUSTER_ID, DATA, DATA_PATH, FILTER,
                                         HASH, LABEL, MANAGE_QUORUM, SESSION, SHARE_USERS, TOOL,
                                         USE_QUORUM, filter_arg, option)
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.sdk5 import WRAP_MECHANISMS as MECHANISMS
from hsmshell.model.hsm_rules import CRYPTO_USERS

KEY_CLASSES = ("aes", "des3", "ec-private", "generic-secret", "rsa-private")
TAG = option("tag_length_bits", "int", help="GCM tag length in bits (32-128)")
AAD = option("aad", required=False, help="GCM additional authenticated data, hex (0x...)")
MGF = option("mgf", "choice", choices=tuple(f"mgf1-{h}" for h in ("sha1", "sha224", "sha256", "sha384", "sha512")),
             help="mask generation function; hsmshell needs it to use the same hash as --hash-function")


def _extra(mechanism: str, unwrap: bool) -> tuple:
    if mechanism == "aes-gcm":
        return ((option("iv", help="the IV wrap printed, hex (0x...)"),) if unwrap else ()) + (TAG, AAD)
    if mechanism == "cloudhsm-aes-gcm":
        return (TAG, AAD)
    if mechanism in ("rsa-oaep", "rsa-aes"):
        return (HASH, MGF)
    return ()


def _wrap(mechanism: str) -> CommandSpec:
    return CommandSpec(
        f"key wrap {mechanism}", "key.wrap", f"wrap a key you own with {mechanism}",
        f"key wrap {mechanism} [OPTIONS] --payload-filter <FILTER>... --wrapping-filter <FILTER>... [--path <PATH>]",
        (filter_arg("payload_filter"), filter_arg("wrapping_filter"), *_extra(mechanism, False),
         option("path", "path", required=False, help="write the wrapped key's bytes to this file"),
         option("payload_approval", "path", required=False, help="signed quorum token of the payload key"),
         option("wrapping_approval", "path", required=False, help="signed quorum token of the wrapping key"),
         CLUSTER_ID),
        opcode="CN_WRAP_KEY", tool=TOOL, details="The payload key must be extractable and yours.",
        hsm=CRYPTO_USERS, views=("sdk5",), backends=("emulator", "cloudhsm"))


def _unwrap(mechanism: str) -> CommandSpec:
    return CommandSpec(
        f"key unwrap {mechanism}", "key.unwrap", f"unwrap a key with {mechanism} into a new key",
        f"key unwrap {mechanism} [OPTIONS] --filter <FILTER>... --key-type-class <CLASS> --label <LABEL> "
        "<--data-path <DATA_PATH>|--data <DATA>>",
        (FILTER, option("key_type_class", "choice", choices=KEY_CLASSES, help=", ".join(KEY_CLASSES)),
         LABEL, DATA, DATA_PATH, *_extra(mechanism, True), SESSION, ATTRIBUTES, SHARE_USERS,
         MANAGE_QUORUM, USE_QUORUM, APPROVAL, CLUSTER_ID),
        opcode="CN_UNWRAP_KEY", tool=TOOL, details="--data is base64; the new key has local=false.",
        hsm=CRYPTO_USERS, views=("sdk5_key",), backends=("emulator", "cloudhsm"))


SPECS = [
    CommandSpec("key import pem", "key.import", "import a public key from a PEM file",
                "key import pem [OPTIONS] --path <PATH> --label <LABEL> --key-type-class <KEY_TYPE_CLASS>",
                (option("path", "path", help="the PEM public key"), LABEL,
                 option("key_type_class", "choice", choices=("ec-public", "rsa-public"),
                        help="ec-public or rsa-public"), ATTRIBUTES, CLUSTER_ID),
                opcode="CN_CREATE_OBJECT", tool=TOOL, details="Public keys only; the label is at most 126 characters.",
                hsm=CRYPTO_USERS, views=("sdk5_key",), backends=("emulator", "cloudhsm")),
    *(_wrap(m) for m in MECHANISMS), *(_unwrap(m) for m in MECHANISMS),
]
