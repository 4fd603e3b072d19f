# SPDX-License-Identifier: MIT
"""Errors the command line reports as one line (never a traceback)."""

__all__ = ("Cancelled", "IntrospectError")


class IntrospectError(Exception):
    """
    A problem with the user's input or environment, with what to do about it.

    :param message: one line: what is wrong, then what to do.
    :param status: the exit status the command line uses.
    """

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class Cancelled(Exception):
    """The caller cancelled a long operation (progress callback returned False)."""
