"""zmed-gui: upload usage data from spreadsheets to Zuora Mediation."""

# Written here, not read from the installed metadata: importlib.metadata cost every start
# of zmed-upload 0.05-0.2 s (it scans sys.path's distributions). tests/test_version.py
# keeps it equal to pyproject.toml's [project] version.
__version__ = "0.1.0"

__all__ = ["__version__"]
