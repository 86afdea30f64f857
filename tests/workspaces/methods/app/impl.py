"""Methods through self, cls and super, resolved through workspace bases."""
from app.base import Base


class Impl(Base):
    """An implementation."""

    def get(self, key):
        """Get through self into the base class.

        Returns:
            The value.
        """
        return self._fetch(key)

    @classmethod
    def make(cls):
        """Make through cls.

        Returns:
            An instance.
        """
        return cls._fetch(None, "k")

    def close(self):
        """Close through super.

        Raises:
            RuntimeError: If already closed.
        """
        super().close()
