"""The version the faces show is the one the package is built with."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import zmed_gui


def test_version_is_pyprojects() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    with pyproject.open("rb") as fh:
        expected = tomllib.load(fh)["project"]["version"]
    assert zmed_gui.__version__ == expected
    assert zmed_gui.__version__ == version("zmed-gui")  # the installed metadata agrees
