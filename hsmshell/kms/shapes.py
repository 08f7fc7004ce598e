"""KMS's JSON shapes with KMS's field names, so a script written
against `aws kms describe-custom-key-stores --output json` reads hsmshell's output unchanged.
Fields KMS does not have are hsmshell's additions and say so in their names (`Kmsuser...`)."""

from __future__ import annotations

import datetime as dt

from hsmshell.kms.store import ACCOUNT, KeyStoreRow, KmsKeyRow


def iso(epoch: float | None) -> str | None:
    """As the AWS CLI prints a timestamp (ISO 8601 with the offset)."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="seconds")


def store_entry(store: KeyStoreRow, key_count: int | None = None) -> dict:
    entry = {"CustomKeyStoreId": store.id, "CustomKeyStoreName": store.name,
             "CloudHsmClusterId": store.cluster_id, "TrustAnchorCertificate": store.trust_anchor,
             "ConnectionState": store.state, "CreationDate": iso(store.created),
             "CustomKeyStoreType": "AWS_CLOUDHSM"}
    if store.state == "FAILED" and store.error_code:
        entry["ConnectionErrorCode"] = store.error_code
    entry["KmsuserPasswordRotated"] = iso(store.password_rotated)
    entry["KmsuserPasswordNote"] = (
        "KMS rotated kmsuser's password when it connected: the password you gave no longer works; "
        "to log in as kmsuser, disconnect, set one with changePswd, then update-key-store"
        if store.password_rotated else "KMS has the password given with create-key-store/update-key-store")
    if key_count is not None:
        entry["KmsKeyCount"] = key_count
    return entry


def key_state(key: KmsKeyRow, store: KeyStoreRow | None) -> str:
    if key.deletion_date is not None:          # kept while disconnected
        return "PendingDeletion"
    if store is None or store.state != "CONNECTED":
        return "Unavailable"
    return "Enabled" if key.enabled else "Disabled"


def key_metadata(key: KmsKeyRow, store: KeyStoreRow | None, region: str) -> dict:
    return {"AWSAccountId": ACCOUNT, "KeyId": key.key_id, "Arn": key.arn, "CreationDate": iso(key.created),
            "Enabled": key.enabled, "Description": key.description, "KeyUsage": "ENCRYPT_DECRYPT",
            "KeyState": key_state(key, store), "Origin": "AWS_CLOUDHSM",
            "CustomKeyStoreId": key.store_id, "CloudHsmClusterId": store.cluster_id if store else None,
            "KeyManager": "CUSTOMER", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "KeySpec": "SYMMETRIC_DEFAULT",
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "MultiRegion": False,
            "KmsBackingKeyHandle": key.handle, "KmsBackingKeyId": f"0x{key.backing_key_id}",
            "KmsAlias": key.alias,
            **({"DeletionDate": iso(key.deletion_date)} if key.deletion_date is not None else {})}
