"""CloudHSM CLI's noun-verb commands (Client SDK 5), beside the SDK 3 ones in the same table.

Each shares its action id with the SDK 3 command doing the same thing (user create and
createUser are both `user.create`), so roles/ written once hold for both vocabularies.
"""

from hsmshell.commands.sdk5 import crypto, keys, mtls, quorum, session, transfer, users
from hsmshell.commands.sdk5.args import TOOL

SPECS = [*session.SPECS, *users.SPECS, *keys.SPECS, *transfer.SPECS, *crypto.SPECS, *quorum.SPECS, *mtls.SPECS]

__all__ = ["SPECS", "TOOL"]
