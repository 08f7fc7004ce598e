"""The HSM's password rules, checked by the shell before it asks anything else or sends
anything (a too-short new password used to be found only after the CAUTION question; an
empty one was sent to the HSM and cost a login attempt)."""

from __future__ import annotations

from hsmshell.errors import InvalidArgument

MIN_LENGTH, MAX_LENGTH = 7, 32


def check_new_password(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        # the message never holds the password, nor its exact length
        raise InvalidArgument(f"passwords are {MIN_LENGTH} to {MAX_LENGTH} characters long; "
                              f"this one is too {'short' if len(password) < MIN_LENGTH else 'long'}")


def check_given_password(password: str) -> None:
    if not password:
        raise InvalidArgument("the password is empty; nothing was sent to the HSM",
                              hint="type the password, or give it as @env:VAR, @file:PATH or @keyring")
