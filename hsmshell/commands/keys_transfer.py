"""Key commands (KMU) that move or use key material: export, import, wrap, sign, verify."""

from hsmshell.commands import key_args as a
from hsmshell.commands.spec import Arg, CommandSpec
from hsmshell.model.hsm_rules import CRYPTO_USERS, OFFICERS_USERS_AND_AU

IV = Arg("iv", "str", flags=("-i",), required=False, help="IV, hexadecimal")
GCM_OPTIONS = (a.path("aad_file", "-aad", required=False, help="additional authenticated data (GCM)"),
               a.number("tag_size", "-tag_size", "GCM tag size in bytes (default 16)"),
               a.path("iv_file", "-iv_file", required=False, help="file holding the IV (AES_GCM)"),
               IV)
WRAP_MECHANISM = a.number("mechanism", "-m", "4 (default), 5, 6, 7, 8, 10, 11 or 12", default=4)
WRAP_HASH = a.number("hash", "-t", "hash for RSA_AES / RSA_OAEP: 2 SHA1 (default), 3 SHA256, "
                                   "4 SHA384, 5 SHA512, 6 SHA224")
NOHEADER = a.switch("noheader", "-noheader", "no key header (for keys unwrapped outside hsmshell)")

SPECS = [
    CommandSpec(
        "exSymKey", "key.export", "export a symmetric key you own to a file, in plaintext",
        "exSymKey -k <key-handle> -w <wrapping-key-handle> -out <file> [-m 4] [-wk <key-file>]",
        (a.handle(), a.WRAPPING_KEY, a.OUT, a.EXPORT_MECHANISM, a.WRAPPING_KEY_FILE),
        opcode="CN_WRAP_KEY", tool="kmu",
        details="The key must be extractable. The file is written with 0600 permissions.",
        hsm=CRYPTO_USERS, views=("key_file",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "imSymKey", "key.import", "import a symmetric key (AES or 3DES) from a file",
        f"imSymKey -f <key-file> -w <wrapping-key-handle> -t <21|31> -l <label> "
        f"{a.PLACEMENT_SYNTAX} [-u <user-ids>] [-wk <key-file>]",
        (a.path("file", "-f", "file holding the raw key bytes"), a.WRAPPING_KEY,
         a.number("key_type", "-t", "21 3DES or 31 AES", required=True), a.LABEL, *a.PLACEMENT,
         a.SHARE_WITH, a.WRAPPING_KEY_FILE),
        opcode="CN_UNWRAP_KEY", tool="kmu", secret_input=True,
        hsm=CRYPTO_USERS, views=("key_created",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "exportPrivateKey", "key.export", "export a private key you own as PEM",
        "exportPrivateKey -k <private-key-handle> -w <wrapping-key-handle> -out <file.pem> [-m 4] "
        "[-wk <key-file>] [-pass <passphrase>]",
        (a.handle(), a.WRAPPING_KEY, a.OUT, a.EXPORT_MECHANISM, a.WRAPPING_KEY_FILE, a.NEW_PASSPHRASE),
        opcode="CN_WRAP_KEY", tool="kmu",
        details="-pass encrypts the PEM (PKCS#8). The file is written with 0600 permissions.",
        hsm=CRYPTO_USERS, views=("key_file",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "importPrivateKey", "key.import", "import an RSA or EC private key from a PEM file",
        f"importPrivateKey -l <label> -f <key.pem> -w <wrapping-key-handle> {a.PLACEMENT_SYNTAX} "
        f"{a.SHARING_SYNTAX} [-wk <key-file>] [-pass <passphrase>]",
        (a.LABEL, a.path("file", "-f", "PEM private key (PKCS#8 or traditional)"), a.WRAPPING_KEY,
         *a.PLACEMENT, *a.SHARING, a.WRAPPING_KEY_FILE, a.PASSPHRASE),
        opcode="CN_UNWRAP_KEY", tool="kmu", secret_input=True,
        hsm=CRYPTO_USERS, views=("key_created",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "exportPubKey", "key.export", "export a public key as PEM",
        "exportPubKey -k <public-key-handle> -out <file.pem>", (a.handle(), a.OUT), tool="kmu",
        hsm=CRYPTO_USERS, views=("key_file",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "importPubKey", "key.import", "import an RSA or EC public key from a PEM file",
        f"importPubKey -l <label> -f <key.pem> {a.PLACEMENT_SYNTAX}",
        (a.LABEL, a.path("file", "-f", "PEM public key"), *a.PLACEMENT),
        opcode="CN_CREATE_OBJECT", tool="kmu",
        hsm=CRYPTO_USERS, views=("key_created",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "wrapKey", "key.wrap", "wrap a key you own with another key, to a file",
        "wrapKey -k <key-handle> -w <wrapping-key-handle> -out <file> [-m <mechanism>] [-t <hash>] "
        "[-noheader] [-aad <file>] [-i <iv>] [-iv_file <file>] [-tag_size <bytes>]",
        (a.handle(), a.WRAPPING_KEY, a.OUT, WRAP_MECHANISM, WRAP_HASH, NOHEADER, *GCM_OPTIONS),
        opcode="CN_WRAP_KEY", tool="kmu",
        hsm=CRYPTO_USERS, views=("key_file",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "unWrapKey", "key.unwrap", "unwrap a key from a file into the HSMs",
        "unWrapKey -f <file> -w <unwrapping-key-handle> [-m <mechanism>] [-t <hash>] [-noheader "
        "-l <label> -kc <3|4> -kt <type>] [-nex] [-sess] [-id <id>] [-u <user-ids>] [-m_value <m>] "
        "[-aad <file>] [-i <iv>] [-iv_file <file>] [-tag_size <bytes>]",
        (a.path("file", "-f", "wrapped key file"),
         a.handle("wrapping_key_handle", "-w", help="handle of the unwrapping key"),
         WRAP_MECHANISM, WRAP_HASH, NOHEADER,
         Arg("label", "str", flags=("-l",), required=False, help="label (default: the header's)"),
         a.number("key_class", "-kc", "3 private or 4 secret (with -noheader)"),
         a.number("key_type", "-kt", "0 RSA, 3 EC, 16, 21 or 31 (with -noheader)"),
         a.NON_EXTRACTABLE, *a.PLACEMENT, *a.SHARING, *GCM_OPTIONS),
        opcode="CN_UNWRAP_KEY", tool="kmu", secret_input=True,
        hsm=CRYPTO_USERS, views=("key_created",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "aesWrapUnwrap", "key.use", "AES key wrap (RFC 3394) of a small file: -m 1 wraps, 0 unwraps",
        "aesWrapUnwrap -m <1|0> -f <file> -w <aes-key-handle> [-i <iv>] [-out <file>]",
        (a.number("mode", "-m", "1 wrap, 0 unwrap", required=True),
         a.path("file", "-f", "file smaller than 4 KB"), a.WRAPPING_KEY, IV,
         a.path("out", "-out", "output (default wrapped_key / unwrapped_key)", required=False)),
        opcode="CN_NIST_AES_WRAP", tool="kmu",
        hsm=CRYPTO_USERS, views=("key_file",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "extractMaskedObject", "key.masked", "write a key as a masked object (insertable only into this cluster)",
        "extractMaskedObject -o <object-handle> -out <object-file>",
        (a.handle(flag="-o", help="handle of the key to mask"), a.OUT),
        opcode="CN_EXTRACT_MASKED_OBJECT_USER", tool="kmu",
        details="The file is encrypted under the cluster's masking key; non-extractable keys can be "
                "masked. The owning crypto user or a crypto officer may extract.",
        hsm=OFFICERS_USERS_AND_AU, views=("key_file",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "insertMaskedObject", "key.masked", "insert a masked object of this cluster as a new key",
        "insertMaskedObject -f <object-file> [-min_srv <n>] [-timeout <s>]",
        (a.path("file", "-f", "masked object file (extractMaskedObject)"), a.MIN_SRV, a.TIMEOUT),
        opcode="CN_INSERT_MASKED_OBJECT_USER", tool="kmu", secret_input=True,
        details="The key gets a new handle and keeps its attributes, owner, sharing and quorum value; "
                "an object of another cluster is refused (masked-object-invalid).",
        hsm=OFFICERS_USERS_AND_AU, views=("key_created",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "sign", "key.use", "sign a file with a private key",
        "sign -f <file> -k <private-key-handle> -m <mechanism> -out <signature-file>",
        (a.path("file", "-f", "data to sign"), a.handle(help="private key handle"),
         a.number("mechanism", "-m", "0-9 RSA (PKCS#1 v1.5, PSS), 15-19 ECDSA (and DSA)", required=True),
         a.OUT), tool="kmu",
        hsm=CRYPTO_USERS, views=("key_file",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec(
        "verify", "key.use", "verify a file's signature with a public key",
        "verify -f <file> -s <signature-file> -k <public-key-handle> -m <mechanism>",
        (a.path("file", "-f", "signed data"), a.path("signature_file", "-s", "signature"),
         a.handle(help="public key handle"),
         a.number("mechanism", "-m", "0-9 RSA (PKCS#1 v1.5, PSS), 15-19 ECDSA (and DSA)", required=True)),
        tool="kmu",
        hsm=CRYPTO_USERS, views=("signature_verified",), backends=("emulator", "cloudhsm", "pkcs11")),
    # "fake PEM" key handle files, for OpenSSL's CloudHSM engine (AWS's key_mgmt_util pages)
    CommandSpec(
        "getCaviumPrivKey", "key.export", "save an RSA private key's handle in a fake PEM file",
        "getCaviumPrivKey -k <private-key-handle> -out <fake-PEM-file>",
        (a.handle(help="RSA private key handle"), a.path("out", "-out", "fake PEM file to write")),
        tool="kmu", hsm=CRYPTO_USERS, views=("tool_report",), backends=("emulator", "cloudhsm"),
        details="The file holds the key's public values and its handle, no private key material "
                "(it works for non-extractable keys); OpenSSL's CloudHSM engine uses it for SSL/TLS offload."),
    CommandSpec(
        "IsValidKeyHandlefile", "key.file.check", "tell a real RSA private key file from a fake PEM",
        "IsValidKeyHandlefile -f <private-key-file>",
        (a.path("file", "-f", "RSA private key file (PEM) to check"),),
        tool="kmu", hsm=CRYPTO_USERS, views=("tool_answer",), backends=("emulator", "cloudhsm"),
        details="Reads the file only: a fake PEM (getCaviumPrivKey) names a key handle."),
]
