"""Domain objects of the inventory."""

import dataclasses
import json
import typing


class InventoryError(Exception):
    """Base class of the inventory's errors."""


class OutOfStock(InventoryError):
    def __init__(self, sku, wanted, available):
        super().__init__(f"{sku}: wanted {wanted}, only {available} left")
        self.sku = sku
        self.wanted = wanted
        self.available = available


class UnknownItem(InventoryError, KeyError):
    """Raised when a SKU is not in the store."""


@dataclasses.dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    quantity: int = 0

    def total_value(self):
        return self.price_cents * self.quantity

    def to_json(self) -> str:
        """Serialise the item.

        Returns:
            The item as a JSON object.
        """
        return json.dumps(dataclasses.asdict(self))
