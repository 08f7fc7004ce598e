"""key_mgmt_util's key commands as AWS's command reference pages print them (tests/golden/
holds each page's session). A mixin of the KMU terminal renderer.

Where the pages disagree, the majority of them is followed (docs/real-tools.md): result lines
are indented by a tab, a blank line follows the typed command, the `Cluster Error Status`
block lists the nodes that hold the key (one for a session key). Some commands' pages print
flush-left lines throughout (sign, verify, exportPubKey, importPrivateKey); they keep that.
"""

from __future__ import annotations

from pathlib import Path

from hsmshell.model.opcodes import kmu_call
from hsmshell.render.classic_keys import SUCCESS_TEXT, attribute_rows, key_info_lines, return_code

T = "\t"
OK = f"returned: 0x00 : {SUCCESS_TEXT}"
# An unknown handle is reported by the lookup that precedes the operation.
LOOKUP_FAILS = {"no-such-key": "Cfm3FindKey"}
# KMU's listAttributes (its getAttribute page: the longer of its two KMU lists).
KMU_LIST_ORDER = ("CLASS", "TOKEN", "PRIVATE", "LABEL", "KEY_TYPE", "ID", "SENSITIVE", "ENCRYPT",
                  "DECRYPT", "WRAP", "UNWRAP", "SIGN", "VERIFY", "LOCAL", "MODULUS", "MODULUS_BITS",
                  "PUBLIC_EXPONENT", "VALUE_LEN", "EXTRACTABLE", "KCV")
DEFAULT_IV = (f"{T}Warning: IV (-i) is missing.", f"{T}         0xA6A6A6A6A6A6A6A6 is considered as default IV")


def ok(command: str, operation: str | None = None) -> str:
    return f"{operation or kmu_call(command)} {OK}"


def failed(command: str, error, code_text) -> str:
    code, text = code_text(error)
    operation = LOOKUP_FAILS.get(error.reference) or kmu_call(command)
    return f"{operation} returned: 0x{code:02x} : {text}"


def nodes(servers, code_text=return_code, indent: str = T, title: str = "Cluster Error Status") -> list[str]:
    lines = ["", indent + title]
    for status in servers:
        code, text = (0, SUCCESS_TEXT) if status.error is None else code_text(status.error)
        lines.append(f"{indent}Node id {status.server} and err state 0x{code:08x} : {text}")
    return lines


def hex_rows(data: bytes) -> list[str]:
    return [" ".join(f"{b:02X}" for b in data[i:i + 8]) for i in range(0, len(data), 8)]


class KmuKeyViews:
    servers: list                       # the connected HSMs (set by `emulate kmu`)
    line: str = ""                      # the line being run (terminal.run_lines sets it)

    def _flag(self, flag: str) -> bool:
        return flag in self.line.split()

    def _holders(self, result) -> list:
        """The nodes a result speaks for: its own, or (a session key) the one that holds it."""
        holders = result.servers or self.servers
        session = result.data.get("session") or self._flag("-sess")
        return holders[:1] if session else holders

    def _attested(self, result) -> list[str]:
        return ["", f"{T}Attestation Check : [PASS]"] if result.data.get("attested") else []

    # -- made keys -------------------------------------------------------------------------------
    def _view_key_created(self, result) -> list[str]:
        d, command = result.data, result.command
        handle = d["key_handle"]
        if command == "importPubKey":
            return ["", ok(command), "", f"Public Key Handle: {handle}", *nodes(self._holders(result))]
        if command == "importPrivateKey":
            return ["", f"BER encoded key length is {d.get('ber_length', 0)}", "", ok("", "Cfm3WrapHostKey"),
                    "", ok("", "Cfm3CreateUnwrapTemplate"), "", ok("", "Cfm3UnWrapKey"), "",
                    f"Private Key Unwrapped.  Key Handle: {handle}",
                    *nodes(self._holders(result), indent="")]
        if command == "insertMaskedObject":      # key_mgmt_util-insertMaskedObject: flush, then a tab
            return ["", ok(command), f"{T}New Key Handle: {handle}", *nodes(self._holders(result))]
        if command == "unWrapKey" and self._flag("-noheader"):
            return ["", T + ok("", "Cfm3CreateUnwrapTemplate2"), T + ok("", "Cfm2UnWrapWithTemplate3"), "",
                    f"{T}Key Unwrapped. Key Handle: {handle}", *nodes(self._holders(result))]
        if command == "unWrapKey":
            return ["", T + ok(command), "", f"{T}Key Unwrapped.  Key Handle: {handle}",
                    *nodes(self._holders(result))]
        steps = []
        if command == "imSymKey":
            steps = [T + ok("", "Cfm3WrapHostKey"), "", T + ok("", "Cfm3CreateUnwrapTemplate"), ""]
        made = "Symmetric Key Unwrapped." if command == "imSymKey" else "Symmetric Key Created."
        return ["", *steps, T + ok(command), "", f"{T}{made}  Key Handle: {handle}",
                *self._attested(result), *nodes(self._holders(result))]

    def _view_key_pair_created(self, result) -> list[str]:
        d = result.data
        return ["", T + ok(result.command), "",
                f"{T}Cfm3GenerateKeyPair:    public key handle: {d['public_key_handle']}    "
                f"private key handle: {d['private_key_handle']}", *self._attested(result),
                *nodes(self._holders(result))]

    # -- finding and reading -------------------------------------------------------------------------
    def _view_keys_found(self, result) -> list[str]:
        handles = result.data["key_handles"]     # the count is of the matches (AWS's pages)
        found = ["", f" number of keys matched from start index 0::{len(handles) - 1}",
                 ", ".join(map(str, handles))] if handles else []
        return ["", f"Total number of keys present {len(handles)}", *found, *nodes(self.servers),
                "", T + ok(result.command)]

    def _view_key_status(self, result) -> list[str]:
        if result.command == "findSingleKey":
            return [ok(result.command), *nodes(result.servers)]
        return ["", T + ok(result.command), *nodes(self._holders(result))]

    def _view_key_info(self, result) -> list[str]:
        return ["", T + ok(result.command), *key_info_lines(result.data)]

    def _view_key_attributes(self, result) -> list[str]:
        d = result.data
        if not d["file"]:
            values = [line for row in d["attributes"] for line in (row["name"], _shown(row))]
            return ["", *values, "", T + ok(result.command)]
        if len(d["attributes"]) == 1:
            return [f"Attributes dumped into {d['file']} file"]
        size = sum(len(_shown(row)) for row in d["attributes"])
        count = d.get("file_attributes", len(d["attributes"]))
        return ["", f"got all attributes of size {size} attr cnt {count}",
                f"Attributes dumped into {d['file']} file", "", T + ok(result.command)]

    def _view_attribute_ids(self, result) -> list[str]:
        return ["", "Description", "===========",
                "The following are all of the possible attribute values for getAttributes.", "",
                *attribute_rows(result.data["attributes"], KMU_LIST_ORDER)]

    # -- files -----------------------------------------------------------------------------------------
    def _view_key_file(self, result) -> list[str]:
        d, command = result.data, result.command
        file = d["file"]
        if command == "exSymKey":
            unwrapped = [] if self._flag("-wk") else ["", T + ok("", "Cfm3UnWrapHostKey"), ""]
            return ["", T + ok(command), *unwrapped, "", f'Wrapped Symmetric Key written to file "{file}"']
        if command == "exportPrivateKey":
            return ["", ok(command), "", T + ok("", "Cfm3UnWrapHostKey"), "",
                    f"PEM formatted private key is written to {file}"]
        if command == "extractMaskedObject":
            return ["", f'Object was masked and written to file "{file}"', "", T + ok(command)]
        if command == "exportPubKey":
            return ["", f"PEM formatted public key is written to {file}", "", ok(command)]
        if command == "wrapKey":
            return ["", f"{T}Key Wrapped.", "", f'{T}Wrapped Key written to file "{file} length {d["length"]}',
                    "", T + ok(command)]
        if command == "aesWrapUnwrap":
            warning = list(DEFAULT_IV) if d.get("default_iv") else []
            return ["", *warning, "result data:", *hex_rows(_read(file)), "", f"result written to file {file}",
                    "", T + ok("", kmu_call(command, d.get("mode")))]
        if command == "sign":
            return ["", ok(command), "", f"signature is written to file {file}",
                    *nodes(self._holders(result), indent="")]
        return ["", ok(command), f"written to {file}"]

    def _view_signature_verified(self, result) -> list[str]:
        return ["", "Signature verification successful", "", ok(result.command)]

    # KMU's helper commands print one sentence (the result's message); those that asked the HSM
    # add a status line naming the command itself (key_mgmt_util-getCaviumPrivKey), the others
    # none (key_mgmt_util-IsValidKeyHandlefile). A command of either kind needs no view of its own.
    def _view_tool_report(self, result) -> list[str]:
        return ["", result.data["message"], "", f"{T}{result.command} {OK}"]

    def _view_tool_answer(self, result) -> list[str]:
        return ["", result.data["message"]]


def _shown(row: dict) -> str:
    from hsmshell.model.key_attributes import display_value
    return display_value(row["id"], row["value"])


def _read(path: str) -> bytes:
    """The bytes aesWrapUnwrap wrote: KMU prints them as `result data:`."""
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""
