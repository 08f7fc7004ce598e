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
# error reference -> (code, text); the first three are the reference's, the rest hsmshell's
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
