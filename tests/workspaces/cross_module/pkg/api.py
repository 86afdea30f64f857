"""Absolute imports of the package, through a re-export."""
import pkg.sub.plugin
from pkg import TrunkNotFound
from pkg.sub import plugin as plug


def load_trunk(name):
    """Load a trunk.

    Raises:
        TrunkNotFound: If missing.
    """
    return pkg.sub.plugin.reraise(name)


def guarded(name):
    """Catching by a base class of the workspace's exception.

    Raises:
        Conflict: On a conflict.
    """
    try:
        return plug.reraise(name)
    except LookupError:
        return None


def unresolved(name):
    """Unresolvable calls contribute nothing and keep stale entries alive.

    Raises:
        TrunkNotFound: If missing.
    """
    return external.lookup(name)


def stale(name):
    """Only our own exception.

    Raises:
        TrunkNotFound: Never any more.
    """
    return plug._check(name)
