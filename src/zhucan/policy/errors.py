"""Errors raised by the policy engine.

Every error is a :class:`PolicyError` with a message that names what was wrong (the file, the path
inside it, the input field) so the command line can print it instead of a traceback.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base class of every error the policy package raises on purpose."""

    code = "POLICY_ERROR"


class PolicyLoadError(PolicyError):
    """A policy, overlay or reform file is missing, unreadable or breaks the schema.

    The message has the shape ``<file>: <path>: <reason>``.
    """

    code = "POLICY_INVALID"

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


class PolicyNotFound(PolicyError):
    """No policy (or overlay) of that name in the policy directory."""

    code = "POLICY_NOT_FOUND"


class NoVersionInForce(PolicyError):
    """The policy has no version in force on the requested date."""

    code = "NO_VERSION_IN_FORCE"


class InputError(PolicyError, ValueError):
    """An input to the engine is invalid; ``field`` names it (``at``, ``amount``, ``elder.birth_date``)."""

    code = "INVALID_INPUT"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
