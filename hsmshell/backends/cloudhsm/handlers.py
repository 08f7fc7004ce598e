"""The cloudhsm backend's handlers, by command: `(backend, invocation, secrets) -> Result`."""

from hsmshell.backends.cloudhsm import keys, quorum, users

HANDLERS = {**users.HANDLERS, **keys.HANDLERS, **quorum.HANDLERS}
