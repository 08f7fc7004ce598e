"""The emulated cluster as an AWS KMS custom key store (`hsmshell kms ...`, docs/kms.md).

store.py (the KMS account: kms.db), requirements.py (what the cluster must be), connection.py
(connect/disconnect on the HSMs), keystores.py and keys.py (the operations), audited.py (policy
and audit), shapes.py (KMS's JSON field names)."""
