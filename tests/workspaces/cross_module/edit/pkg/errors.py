"""Errors, edited: TrunkNotFound no longer derives from KeyError."""


class Error(Exception):
    """Base of the package's errors."""


class TrunkNotFound(Error):
    """No such trunk."""


class Conflict(Error):
    """A conflict."""
