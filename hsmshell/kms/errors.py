"""KMS's own exceptions (AWS's KMS developer guide and API reference), as hsmshell errors.

Each keeps KMS's exception name (`exception` in JSON, and the message starts with it, as the
AWS CLI prints "An error occurred (CloudHsmClusterNotActiveException) ..."); its stable
reference is the name in kebab case without "Exception". A refusal by KMS exits 1, as an HSM's.
"""

from __future__ import annotations

import re

from hsmshell.errors import HsmshellError


class KmsException(HsmshellError):
    exception = "KMSInternalException"

    def __init__(self, exception: str, message: str, hint: str | None = None, detail: dict | None = None):
        self.exception = exception
        super().__init__(f"{exception}: {message}", hint, reference=reference_of(exception), detail=detail)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "exception": self.exception}


def reference_of(exception: str) -> str:
    """CloudHsmClusterNotActiveException -> cloudhsm-cluster-not-active."""
    name = exception.removesuffix("Exception").replace("CloudHsm", "Cloudhsm").replace("KMS", "Kms")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def not_found(name: str) -> KmsException:
    return KmsException("CustomKeyStoreNotFoundException", f"no custom key store named or with id '{name[:64]}'",
                        "hsmshell kms describe lists the key stores")


def invalid_state(store, operation: str, allowed: str) -> KmsException:
    return KmsException("CustomKeyStoreInvalidStateException",
                        f"{operation} needs the key store {store.name} to be {allowed}; it is {store.state}",
                        _state_hint(store))


def _state_hint(store) -> str:
    if store.state == "FAILED":
        return f"hsmshell kms disconnect {store.name}, fix the ConnectionErrorCode's cause, then connect"
    if store.state in ("DISCONNECTED",):
        return f"hsmshell kms connect {store.name}"
    return f"hsmshell kms disconnect {store.name}"


class ConnectionFailed(HsmshellError):
    """`kms connect` ended FAILED: the store's ConnectionErrorCode says why (exit 1)."""
    reference = "kms-connection-failed"

    def __init__(self, store, hint: str):
        super().__init__(f"key store {store.name} could not connect: ConnectionState FAILED, "
                         f"ConnectionErrorCode {store.error_code}", hint)
        self.store_id, self.error_code = store.id, store.error_code

    def to_dict(self) -> dict:
        return {**super().to_dict(), "CustomKeyStoreId": self.store_id, "ConnectionState": "FAILED",
                "ConnectionErrorCode": self.error_code}
