"""Arguments the key commands share (KMU flags; CMU positions where CMU has the command)."""

from __future__ import annotations

from hsmshell.commands.spec import Arg
from hsmshell.model.hsm_rules import CRYPTO_USERS, OFFICERS, per_action


def handle(name: str = "key_handle", flag: str = "-k", position: int | None = None,
           help: str = "key handle (findKey lists yours)", required: bool = True) -> Arg:
    return Arg(name, "int", position=position, flags=(flag,), required=required, help=help)


def path(name: str, flag: str, help: str, required: bool = True, position: int | None = None) -> Arg:
    return Arg(name, "path", position=position, flags=(flag,), required=required, help=help,
               complete="path")


def switch(name: str, flag: str, help: str) -> Arg:
    return Arg(name, "flag", flags=(flag,), required=False, help=help)


def number(name: str, flag: str, help: str, required: bool = False, default=None) -> Arg:
    return Arg(name, "int", flags=(flag,), required=required, default=default, help=help)


LABEL = Arg("label", "str", flags=("-l",), help="key label (need not be unique)")
KEY_ID = Arg("key_id", "str", flags=("-id",), required=False, default="",
             help="key id (unique in the cluster)")
SESSION_KEY = switch("sess", "-sess", "session key: it vanishes at logout (setAttribute -a 1 keeps it)")
SHARE_WITH = Arg("share_with", "int_list", flags=("-u",), required=False, default=(),
                 help="share with these crypto users: user ids, comma-separated (not yours)")
M_VALUE = number("m_value", "-m_value", "users (0-8) who must approve uses of the key (quorum)",
                 default=0)
MIN_SRV = number("min_srv", "-min_srv", "HSMs that must hold the key before success (default 1)",
                 default=1)
TIMEOUT = number("timeout", "-timeout", "seconds to wait for -min_srv (the emulator copies at once)")
NON_EXTRACTABLE = switch("nex", "-nex", "non-extractable: the key never leaves the HSM")
ATTEST = switch("attest", "-attest", "check the firmware attestation of the response")
WRAPPING_KEY = handle("wrapping_key_handle", "-w", help="handle of the wrapping (AES) key")
WRAPPING_KEY_FILE = path("wrapping_key_file", "-wk", required=False,
                         help="file holding the same AES key, for the host-side (un)wrap")
EXPORT_MECHANISM = number("mechanism", "-m", "wrapping mechanism: only 4 (AES_KEY_WRAP_PAD_PKCS5)")
PASSPHRASE = Arg("passphrase", "secret", flags=("-pass",), required=False,
                 prompt="Enter PEM passphrase: ",
                 help="PEM passphrase: literal, -hpswd (prompt), @env:VAR, @file:PATH or @keyring:NAME")
NEW_PASSPHRASE = Arg("passphrase", "secret", flags=("-pass",), required=False,
                     prompt="Enter PEM passphrase: ", confirm_prompt="Re-enter PEM passphrase: ",
                     help="encrypt the PEM with this passphrase (" + PASSPHRASE.help.split(": ", 1)[1] + ")")
OUT = path("out", "-out", "file to write")

# The options of every command that creates keys (-u, -m_value and -nex: private/secret keys).
PLACEMENT = (KEY_ID, MIN_SRV, TIMEOUT, SESSION_KEY, ATTEST)
SHARING = (SHARE_WITH, M_VALUE)
PLACEMENT_SYNTAX = "[-id <key-id>] [-min_srv <n>] [-timeout <s>] [-sess] [-attest]"
SHARING_SYNTAX = "[-u <user-ids>] [-m_value <0..8>]"


TRUSTED_ID = 134                  # OBJ_ATTR_TRUSTED


def attribute_action(args: dict, principal) -> str:
    """Setting `trusted` is an admin's (CO's) action, `key.trust`; every other attribute is
    the key owner's, `key.attributes.set` (AWS: only admins may set trusted). CMU's
    setAttribute <handle> 134 and CloudHSM CLI's --name trusted are the same action."""
    wanted = args.get("attribute", args.get("name"))
    return "key.trust" if str(wanted).strip().lower() in (str(TRUSTED_ID), "trusted") else "key.attributes.set"


attribute_action.possible_actions = ("key.attributes.set", "key.trust")
attribute_action.conditions = {"key.attributes.set": "for a key you own (not trusted)",
                               "key.trust": "for the trusted attribute (admins)"}
# the HSM's own rule for each: a key's owner (a CU) changes it; only COs (admins) trust a key
ATTRIBUTE_RULES = per_action(**{"key.attributes.set": CRYPTO_USERS, "key.trust": OFFICERS})
