"""Arguments CloudHSM CLI's commands share (AWS's CloudHSM CLI pages): long `--options`,
some of which take several words (`--filter attr.label=k attr.class=private-key`)."""

from __future__ import annotations

from hsmshell.commands.spec import Arg
from hsmshell.model.sdk5 import HASHES, ROLE_CHOICES

TOOL = "sdk5"                     # CommandSpec.tool of the noun-verb commands


def option(name: str, kind: str = "str", required: bool = True, help: str = "", default=None,
           choices: tuple[str, ...] = (), flag: str | None = None, complete: str | None = None,
           short: str | None = None) -> Arg:
    """`--name-with-hyphens <VALUE>`, bound as name_with_underscores."""
    flags = (flag or "--" + name.replace("_", "-"),) + ((short,) if short else ())
    return Arg(name, kind, flags=flags, required=required, default=default, help=help,
               choices=choices, complete=complete or ("path" if kind == "path" else None))


def switch(name: str, help: str, short: str | None = None) -> Arg:
    return option(name, "flag", required=False, help=help, short=short)


USERNAME = option("username", "sdk5_user_name", help="at most 31 letters, digits or _ (shown in lowercase)",
                  complete="user_name")
ROLE = option("role", "choice", choices=ROLE_CHOICES,
              help="crypto-user: manages and uses keys; admin: manages user accounts")


def password(prompt_twice: bool, required: bool = False) -> Arg:
    return Arg("password", "secret", flags=("--password",), required=required,
               prompt="Enter password:", confirm_prompt="Confirm password:" if prompt_twice else None,
               help="asked for (hidden) when left out; or @env:VAR, @file:PATH, @keyring:NAME")


APPROVAL = option("approval", "path", required=False,
                  help="file path of the signed quorum token file that approves the operation")
CLUSTER_ID = option("cluster_id", required=False,
                    help="which configured cluster to run against (hsmshell: --cluster)")


def filter_arg(name: str = "filter", required: bool = True) -> Arg:
    return option(name, "filter", required=required, default=(),
                  help="key-reference=0x... or attr.NAME=VALUE words (ANDed) selecting the key(s)")


FILTER = filter_arg()
LABEL = option("label", help="key label, at most 127 characters")
SESSION = switch("session", "a session key: it exists only in the current session")
ATTRIBUTES = option("attributes", "attributes", required=False, default=(),
                    help="KEY_ATTRIBUTE_NAME=VALUE words to set on the new key")
SHARE_USERS = option("share_crypto_users", "sdk5_user_names", required=False, default=(),
                     help="crypto users (names) to share the new key with")
MANAGE_QUORUM = option("manage_key_quorum_value", "int", required=False, default=0,
                       help="approvals (0-8) needed to manage the key")
USE_QUORUM = option("use_key_quorum_value", "int", required=False, default=0,
                    help="approvals (0-8) needed to use the key")
HASH = option("hash_function", "choice", choices=HASHES,
              help="sha1, sha224, sha256, sha384 or sha512")
DATA = option("data", required=False, help="base64-encoded data")
DATA_PATH = option("data_path", "path", required=False, help="file holding the data")
DATA_TYPE = option("data_type", "choice", required=False, default="raw", choices=("raw", "digest"),
                   help="raw (hashed by the HSM) or digest (already hashed)")
KEY_FILTER = filter_arg("key_filter")
