"""CloudHSM's audit-log vocabulary: opcode numbers, user-type names and response codes, shared
by the emulated HSMs' own log streams (backends/emulator/hsm_logs.py) and `audit export
--format cloudhsm` (audit/cloudhsm_format.py)."""

OPCODE_HEX = {
    "CN_INIT_TOKEN": 0x1, "CN_CREATE_USER": 0x3, "CN_CREATE_CO": 0x4, "CN_CHANGE_PSWD": 0x9,
    "CN_LOGIN": 0xd, "CN_LOGOUT": 0xe, "CN_DESTROY_OBJECT": 0x11, "CN_SHARE_OBJECT": 0x12,
    "CN_GENERATE_KEY": 0x17, "CN_GENERATE_KEY_PAIR": 0x19, "CN_WRAP_KEY": 0x1a,
    "CN_UNWRAP_KEY": 0x1b, "CN_GEN_PSWD_ENC_KEY": 0x1d, "CN_NIST_AES_WRAP": 0x1e,
    "CN_INIT_DONE": 0x95, "CN_DELETE_USER": 0xa1, "CN_EXTRACT_MASKED_OBJECT_USER": 0xf0,
    "CN_INSERT_MASKED_OBJECT_USER": 0xf1, "CN_CREATE_APPLIANCE_USER": 0xfc,
}
USER_TYPES = {"CU": "CN_CRYPTO_USER (1)", "CO": "CN_CRYPTO_OFFICER (2)", "PCO": "CN_CRYPTO_OFFICER (2)",
              "AU": "CN_APPLIANCE_USER (5)", "PRECO": "CN_CRYPTO_PRE_OFFICER (6)"}
# error reference -> (code, text); the first three are AWS's, the rest hsmshell's
RESPONSES = {
    None: (0, "HSM Return: SUCCESS"),
    "login-failed": (163, "HSM Error: RET_USER_LOGIN_FAILURE"),
    "no-such-user": (157, "HSM Error: user isn't initialized or user with this name doesn't exist"),
    "no-such-key": (168, "HSM Error: Invalid object handle is passed to this operation"),
    "key-access-denied": (198, "HSM Error: Key Access is denied"),
    "quorum-required": (170, "HSM Error: RET_MXN_AUTH_FAILED"),
    "user-locked": (163, "HSM Error: RET_USER_LOGIN_FAILURE"),
    "permission-denied": (0x9f, "HSM Error: The current logged in user is not authorized to do this operation"),
    "not-logged-in": (0x9f, "HSM Error: No user is logged in to do this operation"),
}
OTHER_ERROR = (0x1, "HSM Error: RET_FAILURE")


# key_mgmt_util's return codes (`Cfm3... returned: 0x<code> : <text>`), by error reference.
# Only the codes AWS's pages show; an error they give none for prints UNDOCUMENTED_CODE.
UNDOCUMENTED_CODE = 0xFF
KMU_RETURN_CODES = {
    "no-such-key": (0xA8, "HSM Error: Invalid object handle is passed to this operation"),
    # two of the three pages that show 0xc6 print it without a full stop (Error2String's)
    "key-access-denied": (0xC6, "HSM Error: Key Access is denied"),
    "fips-policy-violation": (0xB3, "HSM Error: This operation violates the current configured/FIPS policies"),
    "signature-invalid": (0x1B, "CSP Error: ERR_BAD_PKCS_DATA"),
    "hsm-unavailable": (0x30000085, "HSM CLUSTER ERROR: Server in cluster is unavailable"),
}
# Codes of AWS's pages: 163 (0xa3) and 157 (0x9d) from the HSM audit log, 0xdb from Error2String.
KMU_SESSION_CODES = {
    "login-failed": (0xA3, "HSM Error: RET_USER_LOGIN_FAILURE"),
    "no-such-user": (0x9D, "HSM Error: user isn't initialized or user with this name doesn't exist"),
    "invalid-user-type": (0xDB, "HSM Error: Invalid User Type."),
    "quorum-required": (UNDOCUMENTED_CODE, "HSM Error: RET_MXN_AUTH_FAILED"),
    "not-logged-in": (UNDOCUMENTED_CODE,
                      "HSM Error: No user is logged in to do this operation"),
    "permission-denied": (UNDOCUMENTED_CODE,
                          "HSM Error: The current logged in user is not authorized to do this operation"),
}


# The Cfm call key_mgmt_util names for each command (`<call> returned: 0x..`), as AWS's
# pages print it (tests/golden/ reproduces each): the one table every KMU text hsmshell prints
# (emulate kmu, --output classic) or reads (--backend cloudhsm) uses. genDSAKeyPair's colon
# is the page's; aesWrapUnwrap names the host-key call of its mode (-m 1 wrap, -m 0 unwrap).
KMU_KEY_CALLS = {
    "genSymKey": "Cfm3GenerateSymmetricKey", "genRSAKeyPair": "Cfm3GenerateKeyPair",
    "genECCKeyPair": "Cfm3GenerateKeyPair", "genDSAKeyPair": "Cfm3GenerateKeyPair:",
    "findKey": "Cfm3FindKey", "findSingleKey": "Cfm3FindKey", "getKeyInfo": "Cfm3GetKey",
    "getAttribute": "Cfm3GetAttribute", "setAttribute": "Cfm3SetAttribute",
    "deleteKey": "Cfm3DeleteKey", "exSymKey": "Cfm3WrapKey", "imSymKey": "Cfm3UnWrapKey",
    "exportPrivateKey": "Cfm3WrapKey", "importPrivateKey": "Cfm3UnWrapKey",
    "exportPubKey": "Cfm3ExportPubKey", "importPubKey": "Cfm3CreatePublicKey",
    "wrapKey": "Cfm2WrapKey", "unWrapKey": "Cfm3UnWrapKey", "aesWrapUnwrap": "Cfm3WrapHostKey",
    "sign": "Cfm3Sign", "verify": "Cfm3Verify",
    "extractMaskedObject": "Cfm3ExtractMaskedObject", "insertMaskedObject": "Cfm3InsertMaskedObject",
}
KMU_SESSION_CALLS = {
    "loginHSM": "Cfm3LoginHSM", "logoutHSM": "Cfm3LogoutHSM", "listUsers": "Cfm3ListUsers",
    "getToken": "Cfm3GetToken", "approveToken": "Cfm3ApproveToken", "listTokens": "Cfm3ListTokens",
    "delToken": "Cfm3DeleteToken", "getHSMInfo": "Cfm3GetHSMInfo", "listAttributes": "Cfm3ListAttributes",
}
KMU_CALLS = {**KMU_KEY_CALLS, **KMU_SESSION_CALLS}


def kmu_call(command: str, mode: str | None = None) -> str:
    """The Cfm call KMU reports for `command` (a command the pages never show: Cfm3<Command>)."""
    if command == "aesWrapUnwrap" and mode == "unwrap":
        return "Cfm3UnWrapHostKey"
    return KMU_CALLS.get(command) or f"Cfm3{command[:1].upper()}{command[1:]}"


def error_string(code: int) -> str | None:
    """key_mgmt_util's Error2String: the text of a response code, None for one not known."""
    if code == 0:
        return RESPONSES[None][1]
    texts = {c: text for c, text in (*KMU_RETURN_CODES.values(), *KMU_SESSION_CODES.values())
             if c != UNDOCUMENTED_CODE}
    return texts.get(code)
