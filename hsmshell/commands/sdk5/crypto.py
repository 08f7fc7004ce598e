"""crypto sign / verify (AWS's CloudHSM CLI pages): KMU sign/verify's action, key.use."""

from hsmshell.commands.sdk5.args import (APPROVAL, CLUSTER_ID, DATA, DATA_PATH, DATA_TYPE, HASH,
                                         KEY_FILTER, TOOL, option)
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.hsm_rules import CRYPTO_USERS

MECHANISMS = ("rsa-pkcs", "rsa-pkcs-pss", "ecdsa", "ed25519")
PSS = (option("mgf", "choice", choices=tuple(f"mgf1-{h}" for h in ("sha1", "sha224", "sha256", "sha384", "sha512")),
              help="mask generation function, e.g. mgf1-sha256"),
       option("salt_length", "int", help="salt length in bytes"))
SIGNATURE = (option("signature", required=False, help="base64-encoded signature"),
             option("signature_path", "path", required=False, help="file holding the signature"))


def _specs(verb: str):
    for mechanism in MECHANISMS:
        extra = PSS if mechanism == "rsa-pkcs-pss" else ()
        pss_syntax = " --mgf <MGF> --salt-length <SALT_LENGTH>" if extra else ""
        # PureEdDSA hashes nothing first: no --hash-function, no --data-type (AWS's page)
        hashing, hash_syntax = ((), "") if mechanism == "ed25519" else \
            ((HASH,), " --hash-function <HASH_FUNCTION>")
        data_type = () if mechanism == "ed25519" else (DATA_TYPE,)
        sig = SIGNATURE if verb == "verify" else ()
        # only sign is quorum-controlled (AWS's key-usage service); verify takes no --approval
        approval = (APPROVAL,) if verb == "sign" else ()
        sig_syntax = " <--signature-path <SIGNATURE_PATH>|--signature <SIGNATURE>>" if sig else ""
        yield CommandSpec(
            f"crypto {verb} {mechanism}", "key.use",
            f"{verb} with {mechanism.upper()} and a key you own or share",
            f"crypto {verb} {mechanism} [OPTIONS] --key-filter <KEY_FILTER>...{hash_syntax}"
            f"{pss_syntax} <--data-path <DATA_PATH>|--data <DATA>>{sig_syntax}",
            (KEY_FILTER, *hashing, *extra, DATA, DATA_PATH, *data_type, *sig, *approval, CLUSTER_ID),
            tool=TOOL,
            details="Signatures are base64: RSA as openssl makes them, ECDSA as raw r||s, "
                    "Ed25519 as RFC 8032's 64 bytes (hsm2m.medium in NON_FIPS mode only; at "
                    "most 16,000 bytes of data).",
            hsm=CRYPTO_USERS, views=("sdk5_signature",) if verb == "sign" else ("sdk5_message",),
            backends=("emulator", "cloudhsm"))


SPECS = [*_specs("sign"), *_specs("verify")]
