"""Relative imports two levels up, re-raise, catching by a base class."""
from .. import errors
from ..errors import Conflict


def _get(name):
    if not name:
        raise errors.TrunkNotFound(name)
    return name


def _check(name):
    if name == "x":
        raise Conflict(name)


def reraise(name):
    """Re-raises what it caught.

    Raises:
        Conflict: On a conflict.
    """
    try:
        _check(name)
        return _get(name)
    except LookupError:
        print("not found")
        raise
