"""The operations of `hsmshell kms ...` (the cluster as an AWS KMS custom key store).

They are not shell commands (the shell's table has no line syntax for them), but the policy
checks each as it checks a command: by its action id, against roles/ (the `KMS` role is the
caller of the KMS API). `CommandTable.other_actions` carries these ids, so role files may
name them and `policy.actions` validates them.
"""

from __future__ import annotations

from hsmshell.record import record



@record(frozen=True)
class KmsOperation:
    name: str              # as typed: `hsmshell kms <name>`
    action: str            # policy action id
    summary: str
    api: str               # the KMS API operation it stands for
    writes: bool = True    # changes the store or the cluster (audited even when it succeeds)

    def action_for(self, args: dict, principal) -> str:      # what policy.decide asks a spec
        return self.action

    def actions(self) -> set[str]:
        return {self.action}

    @property
    def command(self) -> str:
        return f"kms {self.name}"


OPERATIONS = {op.name: op for op in (
    KmsOperation("check", "kms.check", "every requirement of a CloudHSM key store, met or not, and its fix",
                 "(readiness check)", writes=False),
    KmsOperation("create-key-store", "kms.key_store.create", "a custom key store backed by the cluster",
                 "CreateCustomKeyStore"),
    KmsOperation("update-key-store", "kms.key_store.update", "tell KMS kmsuser's password, a new name or cluster",
                 "UpdateCustomKeyStore"),
    KmsOperation("connect", "kms.key_store.connect", "KMS logs in as kmsuser and rotates its password",
                 "ConnectCustomKeyStore"),
    KmsOperation("disconnect", "kms.key_store.disconnect", "KMS logs out; its keys become Unavailable",
                 "DisconnectCustomKeyStore"),
    KmsOperation("describe", "kms.key_store.describe", "the key stores, their ConnectionState and keys",
                 "DescribeCustomKeyStores", writes=False),
    KmsOperation("delete-key-store", "kms.key_store.delete", "forget a disconnected store without keys",
                 "DeleteCustomKeyStore"),
    KmsOperation("create-key", "kms.key.create", "a KMS key: an AES-256 key of kmsuser on every HSM",
                 "CreateKey"),
    KmsOperation("describe-key", "kms.key.describe", "a KMS key's KeyMetadata (KeyState)",
                 "DescribeKey", writes=False),
    KmsOperation("schedule-key-deletion", "kms.key.delete", "PendingDeletion, then the key and its material go",
                 "ScheduleKeyDeletion"),
    KmsOperation("cancel-key-deletion", "kms.key.cancel_deletion", "a key PendingDeletion becomes Disabled",
                 "CancelKeyDeletion"),
    KmsOperation("enable-key", "kms.key.enable", "a Disabled key becomes Enabled", "EnableKey"),
    KmsOperation("encrypt", "kms.key.encrypt", "AES-256-GCM under a KMS key, in the cluster",
                 "Encrypt"),
    KmsOperation("decrypt", "kms.key.decrypt", "decrypt a ciphertext file made by encrypt",
                 "Decrypt"),
)}

ACTIONS = frozenset(op.action for op in OPERATIONS.values())
