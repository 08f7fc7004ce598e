"""The cloudhsm backend's handlers, by command: `(backend, invocation, secrets) -> Result`."""

from hsmshell.backends.cloudhsm import cmu_keys, keys, quorum, transfer, users

HANDLERS = {**users.HANDLERS, **keys.HANDLERS, **quorum.HANDLERS, **transfer.HANDLERS, **cmu_keys.HANDLERS}
