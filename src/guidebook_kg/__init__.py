"""guidebook-kg: a linked-data knowledge graph of early-intervention programmes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("guidebook-kg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
