"""The package."""
from .errors import Error, TrunkNotFound
