"""Argument definitions several commands share (so each is written once)."""

from hsmshell.commands.spec import Arg
from hsmshell.model.users import check_given_password, check_new_password

USER_TYPE = Arg("user_type", "user_type", position=0, flags=("-u",), complete="user_type",
                help="CO, CU, PRECO or PCO (case-sensitive)")
USER_NAME = Arg("user_name", "user_name", position=1, flags=("-s",), complete="user_name",
                help="at most 31 letters, digits or _; not case-sensitive")
PASSWORD = Arg("password", "secret", position=2, flags=("-p",),
               help="7-32 characters; -hpswd asks for it, or @env:VAR, @file:PATH, @keyring",
               check=check_given_password)

NEW_PASSWORD = Arg("password", "secret", position=2, flags=("-p",),
                   help=PASSWORD.help, prompt="Enter new password: ",
                   confirm_prompt="Re-enter new password: ", check=check_new_password)
