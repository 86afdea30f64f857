"""Errors."""


class Error(Exception):
    """Base of the package's errors."""


class TrunkNotFound(Error, KeyError):
    """No such trunk."""


class Conflict(Error):
    """A conflict."""
