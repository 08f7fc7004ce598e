"""hsmshell: a role-aware administration shell for CloudHSM-style HSM clusters."""

__version__ = "0.1.0"
