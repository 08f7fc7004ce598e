"""`hsmshell kms check|create-key-store|update-key-store|connect|disconnect|describe|delete-key-store|
create-key|describe-key|schedule-key-deletion|cancel-key-deletion|enable-key|encrypt|decrypt`: the
cluster as an AWS KMS custom key store (docs/kms.md)."""

from __future__ import annotations

NAME = "kms"
HELP = "rehearse the cluster as a KMS custom key store: check, create, connect, keys (docs/kms.md)"
SECRET_HELP = "kmsuser's password: @env:VAR, @file:PATH, @keyring:NAME or -hpswd (never a literal)"


def add_arguments(parser, common) -> None:
    from hsmshell.commands.kms import OPERATIONS
    sub = parser.add_subparsers(dest="kms_command", required=True, metavar="{" + ",".join(OPERATIONS) + "}")

    def command(name: str, store: str | None = "required", key_id: bool = False):
        p = sub.add_parser(name, parents=[common], help=OPERATIONS[name].summary)
        if key_id:
            p.add_argument("--key-id", required=True, help="key id, ARN or alias/NAME")
        if store == "required":
            p.add_argument("store", metavar="KEY_STORE", help="the key store's name or id (cks-...)")
        elif store == "optional":
            p.add_argument("store", metavar="KEY_STORE", nargs="?", help="a key store's name or id")
        return p

    check = command("check", "optional")
    check.add_argument("--kmsuser-password", metavar="SECRET", help="check it too: " + SECRET_HELP)
    check.add_argument("--trust-anchor", metavar="FILE", help="the certificate you would give create-key-store")
    create = command("create-key-store")
    create.add_argument("--trust-anchor", metavar="FILE", required=True, help="the cluster's customerCA.crt")
    create.add_argument("--kmsuser-password", metavar="SECRET", required=True, help=SECRET_HELP)
    update = command("update-key-store")
    update.add_argument("--new-name", metavar="NAME")
    update.add_argument("--kmsuser-password", metavar="SECRET", help=SECRET_HELP)
    update.add_argument("--cluster-id", metavar="ID", help="a related cluster (made from a backup of this one)")
    connect = command("connect")
    connect.add_argument("--no-wait", action="store_true",
                         help="return while CONNECTING, as KMS does; the next kms command finishes the attempt")
    command("disconnect")
    command("describe", "optional")
    command("delete-key-store")
    key = command("create-key")
    key.add_argument("--description", default="", help="the key's description")
    key.add_argument("--alias", help="alias/NAME, usable wherever a key id is")
    command("describe-key", None, key_id=True)
    delete = command("schedule-key-deletion", None, key_id=True)
    delete.add_argument("--pending-window-in-days", type=int, default=30, metavar="DAYS", help="7 to 30 (default 30)")
    delete.add_argument("--now", action="store_true", help="delete at once (rehearsals only; KMS always waits)")
    command("cancel-key-deletion", None, key_id=True)
    command("enable-key", None, key_id=True)
    encrypt = command("encrypt", None, key_id=True)
    encrypt.add_argument("--plaintext", required=True, metavar="DATA",
                         help="@file:PATH (or fileb://PATH), @env:VAR, or text (visible to other processes)")
    encrypt.add_argument("--out", metavar="FILE", help="write the ciphertext there (else: CiphertextBlob, base64)")
    decrypt = command("decrypt", None)
    decrypt.add_argument("--in", dest="ciphertext", metavar="FILE", help="the ciphertext file")
    decrypt.add_argument("--ciphertext-blob", metavar="BLOB", help="fileb://PATH, or base64 as encrypt printed it")
    decrypt.add_argument("--key-id", help="the key the ciphertext must be under (optional, as in KMS)")
    decrypt.add_argument("--out", metavar="FILE", help="write the plaintext there, 0600 (else: Plaintext, base64)")


def run(options, env):
    from hsmshell.kms import keys, keystores
    from hsmshell.render.show import show

    if env.backend != "emulator":
        from hsmshell.errors import NotSupportedByBackend
        raise NotSupportedByBackend(f"hsmshell kms rehearses a key store on the emulated cluster only, "
                                    f"not on the {env.backend} backend",
                                    hint="against a real cluster, run it on an emulated copy; KMS itself is "
                                         "aws kms ... (docs/kms.md)")
    command = options.kms_command
    store = getattr(options, "store", None)
    if command in ("describe", "describe-key", "delete-key-store", "encrypt", "decrypt"):
        _purge_due_deletions(env)
    if command in ("schedule-key-deletion", "cancel-key-deletion", "enable-key"):
        from hsmshell.kms import key_deletion
        if command == "schedule-key-deletion":
            return show(env, key_deletion.schedule(env, options.key_id, options.pending_window_in_days, options.now))
        change = key_deletion.cancel if command == "cancel-key-deletion" else key_deletion.enable
        return show(env, change(env, options.key_id))
    if command == "check":
        password = _secret(options.kmsuser_password, env) if options.kmsuser_password else None
        return show(env, keystores.check(env, store, password, options.trust_anchor))
    if command == "create-key-store":
        return show(env, keystores.create(env, store, options.trust_anchor, _secret(options.kmsuser_password, env)))
    if command == "update-key-store":
        password = _secret(options.kmsuser_password, env) if options.kmsuser_password else None
        return show(env, keystores.update(env, store, options.new_name, password, options.cluster_id))
    if command == "connect":
        return show(env, keystores.connect(env, store, wait=not options.no_wait))
    if command == "disconnect":
        return show(env, keystores.disconnect(env, store))
    if command == "describe":
        return show(env, keystores.describe(env, store))
    if command == "delete-key-store":
        return show(env, keystores.delete(env, store))
    if command == "create-key":
        return show(env, keys.create(env, store, options.description, options.alias))
    if command == "describe-key":
        return show(env, keys.describe(env, options.key_id))
    if command == "encrypt":
        return show(env, keys.encrypt(env, options.key_id, keys.read_input(options.plaintext, env, "plaintext"),
                                      options.out))
    return show(env, keys.decrypt(env, _ciphertext(options, env), options.out, options.key_id))


def _purge_due_deletions(env) -> None:
    """Keys whose deletion date has come go before anything looks at them (as KMS deletes them)."""
    from hsmshell.kms.key_deletion import purge_due
    from hsmshell.kms.store import KmsDB
    with KmsDB(env.home) as kms:
        purge_due(env, kms)


def _secret(token: str, env) -> str:
    from hsmshell.secret_sources import resolve_option_secret
    return resolve_option_secret(token, env, "Enter kmsuser's password:")


def _ciphertext(options, env) -> bytes:
    import base64
    import binascii

    from hsmshell.errors import InvalidArgument
    from hsmshell.kms.keys import read_input
    if bool(options.ciphertext) == bool(options.ciphertext_blob):
        raise InvalidArgument("give the ciphertext once: --in FILE or --ciphertext-blob")
    if options.ciphertext:
        return read_input("@file:" + options.ciphertext, env, "ciphertext")
    if options.ciphertext_blob.startswith(("fileb://", "@file:")):
        return read_input(options.ciphertext_blob, env, "ciphertext")
    try:
        return base64.b64decode(options.ciphertext_blob, validate=True)
    except binascii.Error:
        raise InvalidArgument("--ciphertext-blob is fileb://PATH or base64 text") from None
