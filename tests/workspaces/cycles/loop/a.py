"""A cycle across two modules terminates."""
from loop import b


def ping(n):
    """Ping.

    Raises:
        OverflowError: When too deep.
    """
    if n > 100:
        raise OverflowError(n)
    return b.pong(n + 1)
