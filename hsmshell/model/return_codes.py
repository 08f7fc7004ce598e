"""KMU's return codes and their texts, as AWS's pages print them (key_mgmt_util-Error2String,
-deleteKey, -genECCKeyPair, -verify; the HSM audit log's 163 and 157 for the login codes).
Error2String looks a code up here; the renderers print the same texts."""

from __future__ import annotations

TEXTS: dict[int, str] = {
    0x00: "HSM Return: SUCCESS",
    0x1B: "CSP Error: ERR_BAD_PKCS_DATA",
    0x9D: "HSM Error: user isn't initialized or user with this name doesn't exist",
    0xA3: "HSM Error: RET_USER_LOGIN_FAILURE",
    0xA8: "HSM Error: Invalid object handle is passed to this operation",
    0xB3: "HSM Error: This operation violates the current configured/FIPS policies",
    # Two of the three pages that show 0xc6 print it without a full stop (Error2String's)
    0xC6: "HSM Error: Key Access is denied",
    0xDB: "HSM Error: Invalid User Type.",
    0x30000085: "HSM CLUSTER ERROR: Server in cluster is unavailable",
}
