"""The other half of the cycle."""
from loop.a import ping


def pong(n):
    """Pong.

    Returns:
        Never.
    """
    if n < 0:
        raise ValueError(n)
    return ping(n + 1)
