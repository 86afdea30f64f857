"""A tiny inventory service used to demonstrate margin."""

from .models import Item, OutOfStock
from .store import Store

__all__ = ["Item", "OutOfStock", "Store"]
