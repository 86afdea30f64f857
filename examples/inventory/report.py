"""Reports over a store (being rewritten: does not parse yet)."""

from .store import Store


def value_report(store: Store) -> str:
    lines = []
    for sku, item in sorted(store._items.items():
        lines.append(f"{sku:10} {item.total_value():>10}")
    return "\n".join(lines)
