"""The store: items by SKU, with reservations."""

import logging
import os
import threading

from .models import Item, OutOfStock, UnknownItem

log = logging.getLogger(__name__)


class Store:
    """Items by SKU."""

    def __init__(self, items=()):
        self._items = {item.sku: item for item in items}
        self._lock = threading.Lock()

    def get(self, sku: str) -> Item:
        """Return the item with this SKU.

        Args:
            sku: The stock keeping unit.
        """
        try:
            return self._items[sku]
        except KeyError:
            raise UnknownItem(sku)

    def reserve(self, sku, quantity):
        with self._lock:
            item = self.get(sku)
            if item.quantity < quantity:
                raise OutOfStock(sku, quantity, item.quantity)
            item.quantity -= quantity
            return item

    def restock(self, sku: str, quantity: int) -> None:
        """Add stock to an item.

        Args:
            sku: The stock keeping unit.
            amount: How many to add.
        """
        try:
            self.get(sku).quantity += quantity
        except Exception:
            pass

    def load(self, path):
        try:
            with open(path) as f:
                for line in f:
                    sku, name, price = line.rstrip("\n").split(",")
                    self._items[sku] = Item(sku, name, int(price))
        except:
            log.warning("could not load %s", path)
