"""The emulator is Zuora's stand-in, not the client's: it never imports the client's code."""

from __future__ import annotations

import ast
import sys
from importlib import resources

# zmed_gui.core.errors: FaultPlan.parse raises the CLI's OptionsError (it predates the modes).
ALLOWED = {"zmed_gui.core.schema", "zmed_gui.core.errors"}


def test_emulator_imports_only_the_standard_library_and_the_schema() -> None:
    package = resources.files("zmed_gui.emulator")
    found: dict[str, set[str]] = {}
    for module in package.iterdir():
        if not module.name.endswith(".py"):
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if name.startswith("zmed_gui.emulator") or top in sys.stdlib_module_names:
                    continue
                found.setdefault(name, set()).add(module.name)
    assert set(found) <= ALLOWED, found
