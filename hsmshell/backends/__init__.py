"""backends: execute an allowed invocation and return a Result. Backends never print."""

from hsmshell.backends.result import Result, ServerStatus

__all__ = ["Result", "ServerStatus"]
