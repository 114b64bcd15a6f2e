"""AppState: typed, read-only fields; every change goes through a setter that says so."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from zmed_gui.core.connections import CUSTOM, Connection
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.schema import default_schema
from zmed_gui.ui.state import AppState

ROOT = Path(__file__).resolve().parents[2]
STATE_PY = ROOT / "zmed_gui" / "ui" / "state.py"
FIELDS = sorted(name for name, value in vars(AppState).items() if isinstance(value, property))


def test_the_fields_are_the_ones_the_steps_share() -> None:
    assert set(FIELDS) >= {
        "path", "sheet", "header_row", "table", "schema", "mapping", "options",
        "excluded_rows", "edited_cells", "validation", "connection_name",
        "resume_candidates", "demo", "demo_connection", "demo_secret", "demo_target",
        "demo_emulator", "demo_sample", "resume_offer_box", "journal_box", "busy",
    }  # fmt: skip


@pytest.mark.parametrize("name", FIELDS)
def test_no_field_can_be_assigned(name: str) -> None:
    state = AppState()
    with pytest.raises(AttributeError):
        setattr(state, name, getattr(state, name))


def test_no_field_is_typed_any() -> None:
    tree = ast.parse(STATE_PY.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "Any" not in names


def _state_writes(path: Path) -> list[str]:
    """``x.state.<field> = ...`` / ``state.<field> += ...`` / ``state.<field>.add(...)``."""

    def is_state(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in {"state", "_state"}
        return isinstance(node, ast.Attribute) and node.attr in {"state", "_state"}

    hits = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if (
                node.func.attr in {"add", "discard", "remove", "clear", "update", "append"}
                and isinstance(inner, ast.Attribute)
                and inner.attr in FIELDS
                and is_state(inner.value)
            ):
                hits.append(f"{path.name}:{node.lineno} {inner.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and node.args
            and is_state(node.args[0])
        ):
            hits.append(f"{path.name}:{node.lineno} setattr")
        for target in targets:
            public = isinstance(target, ast.Attribute) and not target.attr.startswith("_")
            if isinstance(target, ast.Attribute) and public and is_state(target.value):
                hits.append(f"{path.name}:{target.lineno} {target.attr}")
    return hits


def test_no_module_outside_state_py_assigns_appstate_fields() -> None:
    files = [p for p in (ROOT / "zmed_gui").rglob("*.py") if p != STATE_PY]
    files += list((ROOT / "tests").rglob("*.py")) + list((ROOT / "docs").rglob("*.py"))
    hits = [hit for p in sorted(files) if p.name != "test_state.py" for hit in _state_writes(p)]
    assert hits == []


def test_the_check_sees_a_write(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text(
        "def f(self, state):\n"
        "    self.state.path = 1\n"
        "    state.excluded_rows.add(2)\n"
        "    self._state.demo += 1\n"
        "    self.state._private = 1\n",
        encoding="utf-8",
    )
    assert len(_state_writes(bad)) == 3


def _emitted(qtbot: Any, signal: Any, action: Any) -> None:
    with qtbot.waitSignal(signal, timeout=1_000):
        action()


def test_each_setter_emits_its_signal(qtbot: Any, tmp_path: Path) -> None:
    state = AppState()
    _emitted(qtbot, state.file_changed, lambda: state.set_file(tmp_path / "a.xlsx", "S", 2))
    assert (state.path, state.sheet, state.header_row) == (tmp_path / "a.xlsx", "S", 2)
    _emitted(qtbot, state.schema_changed, lambda: state.set_schema(default_schema()))
    _emitted(qtbot, state.mapping_changed, lambda: state.set_mapping(Mapping()))
    _emitted(qtbot, state.excluded_changed, lambda: state.exclude_rows([3, 1]))
    _emitted(qtbot, state.excluded_changed, lambda: state.exclude_rows([3], excluded=False))
    assert state.excluded_rows == {1}
    _emitted(qtbot, state.edits_changed, lambda: state.mark_edited([(0, 1)]))
    _emitted(qtbot, state.edits_changed, lambda: state.mark_edited([(2, 0)]))
    assert state.edited_cells == {(0, 1), (2, 0)}
    _emitted(qtbot, state.connection_chosen, lambda: state.set_connection_name("Prod"))
    _emitted(qtbot, state.resume_changed, lambda: state.set_resume_candidates([]))
    conn = Connection(name="Demo", environment=CUSTOM, custom_base_url="http://127.0.0.1:9")
    with qtbot.waitSignals([state.demo_changed, state.connection_changed], timeout=1_000):
        state.set_demo(conn, "s", ("http://127.0.0.1:9", "m"))
    assert state.demo and state.connection_name == "Demo" and state.demo_secret == "s"
    _emitted(qtbot, state.demo_changed, lambda: state.set_demo_sample(None))
    _emitted(qtbot, state.boxes_changed, lambda: state.set_resume_offer_box(None))
    _emitted(qtbot, state.boxes_changed, lambda: state.set_journal_box(None))
    with qtbot.waitSignal(state.busy_changed, check_params_cb=lambda busy: busy is True):
        state.set_busy(True)
    assert state.busy


def test_a_new_table_forgets_exclusions_edits_and_the_validation(qtbot: Any) -> None:
    state = AppState()
    state.exclude_rows([1])
    state.mark_edited([(1, 1)])
    with qtbot.waitSignals([state.table_changed, state.excluded_changed, state.edits_changed]):
        state.set_table(None)
    assert not state.excluded_rows and not state.edited_cells and state.validation is None


def test_the_sets_handed_out_cannot_be_changed_behind_the_setters() -> None:
    state = AppState()
    state.exclude_rows([1])
    with pytest.raises(AttributeError):
        state.excluded_rows.add(2)  # type: ignore[attr-defined]
