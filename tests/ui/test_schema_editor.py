"""The usage event field editor: add, rename, type, required, name checks, JSON in and out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from zmed_gui.core.schema import FieldType, default_schema
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs
from zmed_gui.ui.schema_editor import COL_NAME, SchemaEditor, name_problem

# PySide6 6.12 on Python 3.11 under-counts None/True/False (see app.py); until
# tests/conftest.py does this for the whole run, these tests must not abort at exit.
immortalise_singletons()


pytestmark = pytest.mark.usefixtures("workers_done")


@pytest.fixture
def editor(qtbot: Any) -> SchemaEditor:
    dialog = SchemaEditor(default_schema())
    qtbot.addWidget(dialog)
    return dialog


def ok_button(editor: SchemaEditor) -> Any:
    return editor.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_adding_a_field_and_accepting_emits_the_new_schema(
    qtbot: Any, editor: SchemaEditor
) -> None:
    row = editor.add_field("Region", FieldType.STRING, required=False)
    editor._type_combo(row).setCurrentIndex(editor._type_combo(row).findData("integer"))
    editor._required_check(row).setChecked(True)
    with qtbot.waitSignal(editor.schema_accepted) as blocker:
        ok_button(editor).click()
    schema = blocker.args[0]
    assert schema.names == ["CustomerId", "UsageIdentifier", "UsageDate", "Quantity", "Region"]
    region = schema.field("Region")
    assert region.type is FieldType.INTEGER and region.required


def test_rename_and_remove(editor: SchemaEditor) -> None:
    editor.table.item(3, COL_NAME).setText("Amount")
    editor.remove_row(1)
    assert editor.schema().names == ["CustomerId", "UsageDate", "Amount"]


def test_bad_or_duplicate_names_block_ok_with_a_sentence(editor: SchemaEditor) -> None:
    row = editor.add_field("")
    assert not ok_button(editor).isEnabled()
    assert "needs a name" in editor.message.text()
    editor.table.item(row, COL_NAME).setText("2nd field")
    assert "letters, digits" in editor.message.text()
    editor.table.item(row, COL_NAME).setText("quantity")
    assert "Two fields are called 'quantity'" in editor.message.text()
    editor.table.item(row, COL_NAME).setText("Region")
    assert ok_button(editor).isEnabled()
    assert editor.message.text() == ""
    assert name_problem("Ok_Name1", []) is None


def test_export_then_import_json(qtbot: Any, editor: SchemaEditor, tmp_path: Path) -> None:
    editor.add_field("Region")
    path = tmp_path / "fields.json"
    editor.export_json(path)
    qtbot.waitUntil(lambda: path.exists() and running_jobs() == 0, timeout=10_000)
    data = json.loads(path.read_text())
    assert [f["name"] for f in data["fields"]][-1] == "Region"

    other = SchemaEditor(default_schema())
    qtbot.addWidget(other)
    other.import_json(path)
    qtbot.waitUntil(lambda: other.table.rowCount() == 5, timeout=10_000)
    assert other.schema().names[-1] == "Region"


def test_importing_a_bad_file_shows_the_reason(
    qtbot: Any, editor: SchemaEditor, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    path = tmp_path / "bad.json"
    path.write_text('{"fields": [{"name": "X", "type": "colour"}]}')
    editor.import_json(path)
    qtbot.waitUntil(lambda: bool(editor.findChildren(QMessageBox)), timeout=10_000)
    box = editor.findChildren(QMessageBox)[-1]
    assert "colour" in box.text()
    box.close()
    assert editor.table.rowCount() == 4
