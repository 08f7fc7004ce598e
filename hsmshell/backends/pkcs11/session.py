"""Logins on the token: loginHSM CU is the token's user (CKU_USER), loginHSM CO its security
officer (CKU_SO); the profile (settings.py) turns user name and password into the vendor's
PIN. changePswd changes the logged-in user's own PIN (C_SetPIN), or, for the security
officer, sets the user's PIN (C_InitPIN; it also unlocks a locked user PIN)."""

from __future__ import annotations

from hsmshell.backends.pkcs11.errors import token_call
from hsmshell.backends.pkcs11.settings import pin_for
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument, NotLoggedIn, PermissionDenied
from hsmshell.policy.engine import Principal
from hsmshell.model.users import UserType

# CKU_SO = 0, CKU_USER = 1: the principal's user id says which PKCS#11 user it is
USER_IDS = {UserType.CO: 0, UserType.CU: 1}


def _user_type(args: dict) -> str:
    user_type = args["user_type"]
    if user_type not in USER_IDS:
        raise InvalidArgument(f"a token has a security officer (CO) and a user (CU), not {user_type}",
                              hint="loginHSM CU <name> -hpswd, or loginHSM CO <name> -hpswd")
    return user_type


def login(backend, args: dict, secrets: dict) -> Result:
    user_type = _user_type(args)
    if backend.principal is not None:
        raise HsmError(f"loginHSM failed: already logged in as {backend.principal.label}",
                       reference="already-logged-in", hint="logoutHSM first")
    link = backend.link.connect()
    pin = pin_for(link.profile, args["user_name"], secrets["password"])
    backend.link.login(officer=user_type == UserType.CO, pin=pin)
    backend.pin = pin                     # in memory only: C_SetPIN needs the old PIN
    backend.principal = Principal(args["user_name"], user_type, USER_IDS[user_type])
    data = {"user": args["user_name"], "user_type": user_type, "user_id": USER_IDS[user_type],
            "token": link.label, "serial": link.serial, "profile": link.profile}
    return Result("loginHSM", "per_server", data=data, replay={"user_id": USER_IDS[user_type]})


def logout(backend, args: dict, secrets: dict) -> Result:
    if backend.principal is None:
        raise NotLoggedIn("logoutHSM failed: nobody is logged in", hint=None)
    backend.end_login()
    return Result("logoutHSM", "per_server", data={"token": backend.link.label})


def change_password(backend, args: dict, secrets: dict) -> Result:
    user_type, me = _user_type(args), backend.principal
    if me is None:
        raise NotLoggedIn("changePswd needs a login")
    new_pin = pin_for(backend.link.profile, args["user_name"], secrets["password"])
    session = backend.link.session
    if user_type == me.user_type:
        if args["user_name"].lower() != me.name.lower() and backend.link.profile in ("cloudhsm", "yubihsm"):
            raise PermissionDenied(f"you are {me.label}: changePswd changes your own password")
        with token_call("C_SetPIN"):
            session.set_pin(backend.pin, new_pin)
        backend.pin = new_pin
    elif me.user_type == UserType.CO and user_type == UserType.CU:
        with token_call("C_InitPIN"):
            session.init_pin(new_pin)
    else:
        raise PermissionDenied(f"a crypto user changes only its own password; you are {me.label}",
                               hint="the security officer (loginHSM CO) sets the user's PIN")
    return Result("changePswd", "per_server", data={"user": args["user_name"], "user_type": user_type})


HANDLERS = {"loginHSM": login, "logoutHSM": logout, "changePswd": change_password}
