"""Base class in another module."""


class StoreError(Exception):
    """Store failure."""


class Base:
    """A base."""

    def _fetch(self, key):
        raise StoreError(key)

    def close(self):
        """Close.

        Raises:
            RuntimeError: If already closed.
        """
        raise RuntimeError("closed")
