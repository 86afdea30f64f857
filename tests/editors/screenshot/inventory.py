"""Stock levels for the shop."""

import json
import logging
import os

LOG = logging.getLogger(__name__)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except:
        return {}


def restock(items, amount=10):
    """Add `amount` to each item's count."""
    for item in items:
        item.count += amount
