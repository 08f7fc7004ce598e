"""PKCS#11 return codes (CKR_*) as the project's errors: one line, a stable reference, a hint.

python-pkcs11 raises one exception class per CKR_ value (and PKCS11Error "Unmapped error
code 0x..." for the few it does not name, such as CKR_ACTION_PROHIBITED). A refusal means
what it means on the other backends: a wrong PIN is `login-failed`, a missing login
`not-logged-in` (exit 3), a key the token will not export `key-not-extractable`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from hsmshell.errors import (BackendUnavailable, HsmError, HsmshellError, InvalidArgument,
                             LoginFailed, NoSuchKey, NotLoggedIn, NotSupportedByBackend,
                             PermissionDenied, UserLocked)

CKR_ACTION_PROHIBITED = 0x1B


# exception class name -> (CKR name, error class, reference or None, message, hint)
_TABLE = {
    "PinIncorrect": ("CKR_PIN_INCORRECT", LoginFailed, None, "the token refused the PIN",
                     "check the user name and password (and --pkcs11-profile)"),
    "PinInvalid": ("CKR_PIN_INVALID", LoginFailed, None, "the token refused the PIN's characters",
                   "check the password (and --pkcs11-profile)"),
    "PinLenRange": ("CKR_PIN_LEN_RANGE", InvalidArgument, None, "the PIN is too short or too long "
                    "for this token", "SoftHSM takes 4-255 characters"),
    "PinLocked": ("CKR_PIN_LOCKED", UserLocked, None, "the token locked this user's PIN",
                  "the security officer (loginHSM CO) sets a new one: changePswd CU <user> -hpswd"),
    "PinExpired": ("CKR_PIN_EXPIRED", LoginFailed, "pin-expired", "the PIN has expired",
                   "set a new one with changePswd"),
    "UserPinNotInitialized": ("CKR_USER_PIN_NOT_INITIALIZED", LoginFailed, None,
                              "the token's user PIN was never set",
                              "the security officer sets it: changePswd CU <user> -hpswd"),
    "UserNotLoggedIn": ("CKR_USER_NOT_LOGGED_IN", NotLoggedIn, None,
                        "the token needs a login for this", None),
    "UserAlreadyLoggedIn": ("CKR_USER_ALREADY_LOGGED_IN", HsmError, "already-logged-in",
                            "already logged in to the token", "logoutHSM first"),
    "AnotherUserAlreadyLoggedIn": ("CKR_USER_ANOTHER_ALREADY_LOGGED_IN", HsmError,
                                   "already-logged-in", "another user is logged in to the token",
                                   "logoutHSM first"),
    "KeyUnextractable": ("CKR_KEY_UNEXTRACTABLE", HsmError, "key-not-extractable",
                         "the key is not extractable: it never leaves the token", None),
    "KeyNotWrappable": ("CKR_KEY_NOT_WRAPPABLE", HsmError, "key-not-extractable",
                        "the token will not wrap this key", None),
    "AttributeSensitive": ("CKR_ATTRIBUTE_SENSITIVE", HsmError, "key-not-extractable",
                           "the attribute is sensitive: the token will not reveal it", None),
    "MechanismInvalid": ("CKR_MECHANISM_INVALID", HsmError, "mechanism-not-supported",
                         "the token does not offer this mechanism",
                         "pkcs11-tool --list-mechanisms shows what it offers"),
    "MechanismParamInvalid": ("CKR_MECHANISM_PARAM_INVALID", HsmError, "mechanism-not-supported",
                              "the token refused the mechanism's parameters", None),
    "KeyTypeInconsistent": ("CKR_KEY_TYPE_INCONSISTENT", InvalidArgument, None,
                            "the key's type does not fit this mechanism", None),
    "KeyFunctionNotPermitted": ("CKR_KEY_FUNCTION_NOT_PERMITTED", HsmError,
                                "key-function-not-permitted", "the key's attributes forbid this use",
                                "getAttribute <handle> 512 shows its usage flags"),
    "SignatureInvalid": ("CKR_SIGNATURE_INVALID", HsmError, "signature-invalid",
                         "the signature does not match the data and key", None),
    "SignatureLenRange": ("CKR_SIGNATURE_LEN_RANGE", HsmError, "signature-invalid",
                          "the signature has the wrong length for this key", None),
    "AttributeReadOnly": ("CKR_ATTRIBUTE_READ_ONLY", HsmError, "key-function-not-permitted",
                          "the token does not let this attribute change", None),
    "AttributeValueInvalid": ("CKR_ATTRIBUTE_VALUE_INVALID", InvalidArgument, None,
                              "the token refused an attribute value", None),
    "TemplateInconsistent": ("CKR_TEMPLATE_INCONSISTENT", InvalidArgument, None,
                             "the token refused the key's attributes", None),
    "KeySizeRange": ("CKR_KEY_SIZE_RANGE", InvalidArgument, None,
                     "the token does not take keys of this size", None),
    "WrappedKeyInvalid": ("CKR_WRAPPED_KEY_INVALID", HsmError, "unwrap-failed",
                          "the wrapped key does not unwrap with this key and mechanism", None),
    "EncryptedDataInvalid": ("CKR_ENCRYPTED_DATA_INVALID", HsmError, "unwrap-failed",
                             "the data does not decrypt with this key and mechanism", None),
    "ArgumentsBad": ("CKR_ARGUMENTS_BAD", InvalidArgument, None,
                     "the token refused the arguments (a mechanism parameter it lacks?)", None),
    "AttributeTypeInvalid": ("CKR_ATTRIBUTE_TYPE_INVALID", InvalidArgument, None,
                             "the token does not take an attribute of this key", None),
    "DataLenRange": ("CKR_DATA_LEN_RANGE", InvalidArgument, None,
                     "the data is too long or too short for this mechanism", None),
    "SessionReadOnly": ("CKR_SESSION_READ_ONLY", PermissionDenied, None,
                        "this login may not change the token", None),
    "TokenWriteProtected": ("CKR_TOKEN_WRITE_PROTECTED", HsmError, "token-write-protected",
                            "the token is write-protected", None),
    "ObjectHandleInvalid": ("CKR_OBJECT_HANDLE_INVALID", NoSuchKey, None,
                            "the key is no longer on the token", None),
    "KeyHandleInvalid": ("CKR_KEY_HANDLE_INVALID", NoSuchKey, None,
                         "the key is no longer on the token", None),
    "DeviceRemoved": ("CKR_DEVICE_REMOVED", BackendUnavailable, None, "the token was removed", None),
    "TokenNotPresent": ("CKR_TOKEN_NOT_PRESENT", BackendUnavailable, None,
                        "the token is not present", None),
    "DeviceError": ("CKR_DEVICE_ERROR", BackendUnavailable, None, "the token failed", None),
    "SessionClosed": ("CKR_SESSION_CLOSED", BackendUnavailable, None,
                      "the token closed the session", "log in again"),
    "SessionHandleInvalid": ("CKR_SESSION_HANDLE_INVALID", BackendUnavailable, None,
                             "the token no longer knows this session", "log in again"),
    "FunctionNotSupported": ("CKR_FUNCTION_NOT_SUPPORTED", NotSupportedByBackend, None,
                             "the token does not implement this function", None),
}
_UNMAPPED = re.compile(r"Unmapped error code (0x[0-9a-fA-F]+)")


def token_error(exc: Exception, doing: str) -> HsmshellError:
    """The project's error for a python-pkcs11 exception raised while `doing` something."""
    name = type(exc).__name__
    row = _TABLE.get(name)
    if row is None:
        code = _UNMAPPED.search(str(exc))
        if code and int(code.group(1), 16) == CKR_ACTION_PROHIBITED:
            row = ("CKR_ACTION_PROHIBITED", PermissionDenied, None,
                   "the token's policy prohibits this action", None)
        else:
            ckr = f"code {code.group(1)}" if code else name
            return HsmError(f"{doing} failed: the token answered {ckr}", reference="token-error",
                            hint="the module's own log says more")
    ckr, cls, reference, message, hint = row
    return cls(f"{doing} failed: {message} ({ckr})", hint, reference=reference)


@contextmanager
def token_call(doing: str):
    """Turn the PKCS#11 errors raised inside into the project's, naming what was being done."""
    import pkcs11.exceptions as p11

    try:
        yield
    except p11.PKCS11Error as exc:
        raise token_error(exc, doing) from None
