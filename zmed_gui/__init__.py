"""zmed-gui: upload usage data from spreadsheets to Zuora Mediation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zmed-gui")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"

__all__ = ["__version__"]
