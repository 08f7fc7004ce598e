"""Key views in the text key_mgmt_util (KMU) and cloudhsm_mgmt_util (CMU) print
(AWS's key_mgmt_util pages, AWS's cloudhsm_mgmt_util pages). A mixin of ClassicRenderer.

KMU reports each operation as `Cfm3<Operation> returned: 0x<code> : <text>`, followed for
cluster-wide writes by a `Cluster Error Status` block of per-node lines. Codes and texts are
AWS's; an error it gives no code for shows 0xff and hsmshell's message.
"""

from __future__ import annotations

from hsmshell.model.key_attributes import display_value
from hsmshell.model.opcodes import KMU_KEY_CALLS, KMU_RETURN_CODES as RETURN_CODES, UNDOCUMENTED_CODE, kmu_call
from hsmshell.render import classic
from hsmshell.status import ExitStatus

SUCCESS_TEXT = "HSM Return: SUCCESS"
OPERATIONS = KMU_KEY_CALLS          # command -> the Cfm call KMU names in its output
CREATED = {
    "genSymKey": "Symmetric Key Created.  Key Handle: {key_handle}",
    "imSymKey": "Symmetric Key Unwrapped.  Key Handle: {key_handle}",
    "importPrivateKey": "Private Key Unwrapped.  Key Handle: {key_handle}",
    "unWrapKey": "Key Unwrapped. Key Handle: {key_handle}",
    "importPubKey": "Public Key Handle: {key_handle}",
    "insertMaskedObject": "New Key Handle: {key_handle}",
}
# What the commands that write a file print; {returned} is the command's Cfm line.
WRITTEN = {
    "exSymKey": ["{returned}", "Cfm3UnWrapHostKey returned: 0x00 : HSM Return: SUCCESS", "",
                 'Wrapped Symmetric Key written to file "{file}"'],
    "exportPrivateKey": ["{returned}", "", "PEM formatted private key is written to {file}"],
    "exportPubKey": ["PEM formatted public key is written to {file}", "", "{returned}"],
    "wrapKey": ["{returned}", "", "Key Wrapped.", "",
                'Wrapped Key written to file "{file}" length {length}'],
    "aesWrapUnwrap": ["{returned}", "", "result written to file {file}"],
    "sign": ["{returned}", "", "signature is written to file {file}"],
    "extractMaskedObject": ['Object was masked and written to file "{file}"', "", "{returned}"],
}


def returned(command: str, error=None, mode: str | None = None) -> str:
    operation = kmu_call(command, mode)
    if error is None:
        return f"{operation} returned: 0x00 : {SUCCESS_TEXT}"
    code, text = return_code(error)
    return f"{operation} returned: 0x{code:02x} : {text}"


def return_code(error) -> tuple[int, str]:
    return RETURN_CODES.get(error.reference, (UNDOCUMENTED_CODE, f"HSM Error: {error.message}"))


def cluster_status(servers) -> list[str]:
    lines = ["", "Cluster Error Status"]
    for status in servers:
        code, text = (0, SUCCESS_TEXT) if status.error is None else return_code(status.error)
        lines.append(f"Node id {status.server} and err state 0x{code:08x} : {text}")
    return lines


def matched_range(count: int) -> str:
    """KMU's ` number of keys matched from start index 0::N` counts N as the last index."""
    return f"0::{max(count - 1, 0)}"


# listAttributes' order on AWS's pages: OBJ_ATTR_LOCAL after DERIVE, OBJ_ATTR_ALL last.
LIST_ORDER = ("CLASS", "TOKEN", "PRIVATE", "LABEL", "TRUSTED", "KEY_TYPE", "ID", "SENSITIVE",
              "ENCRYPT", "DECRYPT", "WRAP", "UNWRAP", "SIGN", "VERIFY", "DERIVE", "LOCAL", "MODULUS",
              "MODULUS_BITS", "PUBLIC_EXPONENT", "VALUE_LEN", "EXTRACTABLE", "NEVER_EXTRACTABLE",
              "ALWAYS_SENSITIVE", "DESTROYABLE", "KCV", "WRAP_WITH_TRUSTED", "WRAP_TEMPLATE",
              "UNWRAP_TEMPLATE", "ALL")


def attribute_rows(attributes: list[dict], order: tuple[str, ...]) -> list[str]:
    by_name = {a["name"]: a for a in attributes}
    return [f"      {a['name']:<32}= {a['id']}" for a in
            (by_name.get(f"OBJ_ATTR_{name}") for name in order) if a is not None]


def all_keys_mark(key: dict) -> str:
    if "owned" not in key:
        return ""                           # every key on the HSM (no user asked)
    return "(o)" if key["owned"] and not key.get("shared") else "(s)"


def key_info_lines(data: dict) -> list[str]:
    """Owner, shared users (one a line) and quorum value, as both tools print them."""
    lines = ["", f"        Owned by user {data['owner']}"]
    if data["shared_with"]:
        lines += ["", f"        also, shared to following {len(data['shared_with'])} user(s):", "",
                  *(f"                 {user}" for user in data["shared_with"])]
    if data["m_value"]:
        lines.append(f"         {data['m_value']} Users need to approve to use/manage this key")
    return lines


class ClassicKeyViews:
    def kmu_error_lines(self, error, command: str | None) -> list[str] | None:
        """An HSM refusal of a KMU key command, as KMU prints it (None: the usual error line)."""
        if command not in OPERATIONS or error.status != ExitStatus.HSM_ERROR:
            return None
        return [returned(command, error), error.message] if error.reference not in RETURN_CODES \
            else [returned(command, error)]

    def _view_key_created(self, result) -> list[str]:
        attested = ["Attestation Check : [PASS]", ""] if result.data.get("attested") else []
        return [*attested, returned(result.command), "",
                CREATED[result.command].format(**result.data), *cluster_status(result.servers)]

    def _view_key_pair_created(self, result) -> list[str]:
        d = result.data
        attested = ["Attestation Check : [PASS]", ""] if d.get("attested") else []
        return [*attested, returned(result.command), "",
                f"Cfm3GenerateKeyPair:    public key handle: {d['public_key_handle']}    "
                f"private key handle: {d['private_key_handle']}", *cluster_status(result.servers)]

    def _view_keys_found(self, result) -> list[str]:
        handles = result.data["key_handles"]
        return [f"Total number of keys present {result.data['total']}", "",
                f" number of keys matched from start index {matched_range(len(handles))}",
                ", ".join(map(str, handles)), "", returned(result.command)]

    def _view_key_status(self, result) -> list[str]:
        return [returned(result.command), *cluster_status(result.servers)]

    def _view_key_info(self, result) -> list[str]:
        d = result.data
        return [returned(result.command), "", "        Session Key," if d["session"] else "        Token/Flash Key,",
                *key_info_lines(d)]

    def _view_key_attributes(self, result) -> list[str]:
        d = result.data
        if d["file"]:
            return [f"got all attributes of attr cnt {len(d['attributes'])}",
                    f"Attributes dumped into {d['file']} file", "", returned(result.command)]
        lines = []
        for row in d["attributes"]:
            lines += [row["name"], display_value(row["id"], row["value"])]
        return [*lines, "", returned(result.command)]

    def _view_attribute_ids(self, result) -> list[str]:
        return ["", "Following are the possible attribute values for getAttribute:", "",
                *attribute_rows(result.data["attributes"], LIST_ORDER)]

    def _view_all_keys(self, result) -> list[str]:
        lines = []
        for status in result.servers:
            lines.append(f"Keys on {classic.server_label(status)}:")
            if status.error is not None:
                lines.append(f"findAllKeys failed on {classic.server_label(status)}: {status.error.message}")
                continue
            keys = status.data["keys"]
            # findAllKeys counts to N (findKey to N-1); (o): owned and not shared, (s): shared
            lines += [f"Number of keys found {len(keys)}",
                      f"number of keys matched from start index 0::{len(keys)}",
                      ",".join(f"{k['key_handle']}{all_keys_mark(k)}" for k in keys)]
            success = f"findAllKeys success on {classic.server_label(status)}"
            if status.data["key_hash"]:
                lines += ["Key Hash:", status.data["key_hash"], "", success]
            else:
                lines += [success, ""]
        return lines

    def _view_key_file(self, result) -> list[str]:
        warning = ["Warning: IV (-i) is missing."] if result.data.get("default_iv") else []
        return [*warning, *(line.format(returned=returned(result.command, mode=result.data.get("mode")), **result.data)
                            for line in WRITTEN[result.command])]

    def _view_signature_verified(self, result) -> list[str]:
        return ["Signature verification successful", "", returned(result.command)]

    # KMU's helper commands: one sentence (the result's message), and for those that asked the
    # HSM a status line naming the command itself (render/kmu_views.py has the terminal's form)
    def _view_tool_report(self, result) -> list[str]:
        return [result.data["message"], "", returned(result.command)]

    def _view_tool_answer(self, result) -> list[str]:
        return [result.data["message"]]
