"""The Connections dialog: save with the secret in the keyring, test, delete, no keyring."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from zmed_gui.core.connections import (
    CUSTOM,
    DEFAULT_ENVIRONMENT,
    ENVIRONMENTS,
    Connection,
    TenantLimits,
    connections_file,
    get_secret,
    limits_preset,
    load_connections,
    save_connection,
)
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
)
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.connection_form import OWN_LIMITS, PATH_FOUND, PATH_NOT_TESTED
from zmed_gui.ui.connections_dialog import ConnectionsDialog
from zmed_gui.ui.numbers import count

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()


pytestmark = pytest.mark.usefixtures("wait_for_pool")


def fill(dialog: ConnectionsDialog, name: str, base_url: str, secret: str = "") -> None:
    dialog.name_edit.setText(name)
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData(CUSTOM))
    dialog.base_url_edit.setText(base_url)
    dialog.client_id_edit.setText(DEMO_CLIENT_ID)
    dialog.secret_edit.setText(secret)
    dialog.meter_edit.setText(DEMO_METER_ID)


def open_dialog(qtbot: Any, **kwargs: Any) -> ConnectionsDialog:
    dialog = ConnectionsDialog(**kwargs)
    qtbot.addWidget(dialog)
    # the connections file and the keyring are read in workers
    with qtbot.waitSignals([dialog.keyring_checked, dialog.loaded], timeout=5_000):
        dialog.show()
    return dialog


def save(qtbot: Any, dialog: ConnectionsDialog) -> None:
    """Press Save and wait until the file, the keyring and the list are done."""
    with qtbot.waitSignals([dialog.saved, dialog.loaded], timeout=5_000):
        assert dialog.save()


def test_environment_list_has_the_ten_zuora_urls(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    combo = dialog.environment_combo
    assert combo.count() == 11
    urls = [combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(10)]
    assert "https://rest.eu.zuora.com" in urls  # the address is the item's tooltip
    combo.setCurrentIndex(0)
    assert dialog.base_url_edit.isReadOnly()
    combo.setCurrentIndex(combo.findData(CUSTOM))
    assert not dialog.base_url_edit.isReadOnly()
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password


def test_save_puts_the_secret_in_the_keyring_only(
    qtbot: Any, emulator: Emulator, memory_keyring: Any
) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    with qtbot.waitSignal(dialog.connections_changed):
        save(qtbot, dialog)
    [conn] = load_connections()
    assert conn.name == "Emulator" and conn.meter_id == DEMO_METER_ID
    assert get_secret("Emulator") == DEMO_CLIENT_SECRET
    assert DEMO_CLIENT_SECRET not in repr(conn.to_json())
    assert dialog.list.count() == 1


def test_test_connection_shows_the_sentences(qtbot: Any, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert dialog.result_label.isVisibleTo(dialog)
    good = dialog.result_label.text()
    assert "Signed in" in good and DEMO_METER_ID in good

    fill(dialog, "Emulator", emulator.base_url, "wrong-secret")
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert "refused" in dialog.result_label.text()


def test_delete_removes_connection_and_secret(qtbot: Any, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    save(qtbot, dialog)
    dialog.list.setCurrentRow(0)
    with qtbot.waitSignals([dialog.connections_changed, dialog.loaded], timeout=5_000):
        dialog.delete_button.click()
    assert dialog.list.count() == 0
    assert load_connections() == []
    assert get_secret("Emulator") is None


def test_bad_input_is_a_sentence_not_a_crash(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Broken", "http://zuora.example.com", "s")
    assert not dialog.save()
    assert "https" in dialog.result_label.text()
    assert load_connections() == []


def test_no_keyring_shows_the_message(qtbot: Any, no_keyring: None, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    assert "keyring" in dialog.keyring_message.lower()
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    save(qtbot, dialog)  # saved without the secret; the secret is kept for this session
    assert "without its secret" in dialog.result_label.text()
    [conn] = load_connections()
    assert conn.name == "Emulator"
    assert dialog.session_secret("Emulator") == DEMO_CLIENT_SECRET
    # and testing still works with the secret typed this session
    dialog.list.setCurrentRow(0)
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert "Signed in" in dialog.result_label.text()


def test_a_secret_typed_this_session_is_known_when_the_dialog_opens_again(
    qtbot: Any, no_keyring: None, emulator: Emulator
) -> None:
    """The second walk: uploads used the typed secret, but Connections opened again said
    "needed: paste the client secret" and Test failed."""
    kept: dict[str, str] = {}
    first = open_dialog(qtbot, session_secrets=kept)
    fill(first, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    save(qtbot, first)
    first.close()
    assert kept == {"Emulator": DEMO_CLIENT_SECRET}

    again = open_dialog(qtbot, select="Emulator", session_secrets=kept)
    again.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: "typed earlier" in again.secret_edit.placeholderText(), timeout=5000)
    with qtbot.waitSignal(again.test_finished, timeout=20_000):
        again.test_button.click()
    assert "Signed in" in again.result_label.text()


def test_ca_bundle_is_kept_and_checked_off_the_gui_thread(
    qtbot: Any, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("not checked here", encoding="utf-8")
    save_connection(
        Connection(
            name="Corp",
            environment=CUSTOM,
            custom_base_url=emulator.base_url,
            client_id=DEMO_CLIENT_ID,
            meter_id=DEMO_METER_ID,
            ca_bundle=str(bundle),
        ),
        DEMO_CLIENT_SECRET,
    )
    dialog = open_dialog(qtbot)
    assert dialog.name_edit.text() == "Corp"
    save(qtbot, dialog)  # the form has no CA bundle field: saving keeps it
    [conn] = load_connections()
    assert conn.ca_bundle == str(bundle)

    # Who looks at the bundle file: only workers, never the GUI thread.
    on_gui_thread: list[bool] = []
    real_is_file = Path.is_file

    def spy(self: Path) -> bool:
        if str(self) == str(bundle):
            on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return real_is_file(self)

    monkeypatch.setattr(Path, "is_file", spy)
    bundle.unlink()
    with qtbot.waitSignal(dialog.saved, timeout=5_000) as done:
        assert dialog.save()  # the form is fine; the worker finds the file missing
    assert done.args == [False]
    assert "CA bundle" in dialog.result_label.text()
    with qtbot.waitSignal(dialog.test_finished, timeout=5_000):
        dialog.test_button.click()
    assert "CA bundle" in dialog.result_label.text()
    assert on_gui_thread and not any(on_gui_thread)


# --------------------------------------------------------------------------- issue 9


def test_a_new_connection_starts_on_a_sandbox(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    env = dialog.environment_combo.currentData()
    assert env == DEFAULT_ENVIRONMENT and ENVIRONMENTS[env].limits_preset != "production"
    assert dialog.limits_combo.currentData() == ENVIRONMENTS[env].limits_preset
    assert dialog.path_style_combo.currentData() == "bulk"
    assert dialog.path_state_label.text() == PATH_NOT_TESTED


def test_choosing_an_environment_sets_its_limits(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    dialog.name_edit.setText("Sandbox")
    dialog.client_id_edit.setText("cid")
    combo = dialog.environment_combo
    combo.setCurrentIndex(combo.findData("us-api-sandbox-cloud1"))
    assert dialog.limits_combo.currentData() == "api-sandbox"
    expected = f"{count(1000)} events, 1 MB per call, 600 calls a minute"  # the locale's digits
    assert expected in dialog.limits_combo.currentText()
    conn = dialog.form_connection()
    assert conn.limits == limits_preset("api-sandbox") and not conn.limits_custom
    combo.setCurrentIndex(combo.findData("eu-production"))
    assert dialog.limits_combo.currentData() == "production"
    # a custom base URL keeps what is chosen
    dialog.limits_combo.setCurrentIndex(dialog.limits_combo.findData("developer-sandbox"))
    combo.setCurrentIndex(combo.findData(CUSTOM))
    assert dialog.limits_combo.currentData() == "developer-sandbox"
    # the user can still choose other limits than the environment's: kept as their own
    combo.setCurrentIndex(combo.findData("us-api-sandbox-cloud2"))
    dialog.limits_combo.setCurrentIndex(dialog.limits_combo.findData("production"))
    save(qtbot, dialog)
    [saved] = load_connections()
    assert saved.limits == limits_preset("production") and saved.limits_custom
    assert dialog.limits_combo.currentData() == "production"  # shown again as saved


def test_old_production_limits_on_an_api_sandbox_show_corrected(qtbot: Any) -> None:
    connections_file().parent.mkdir(parents=True, exist_ok=True)
    connections_file().write_text(
        json.dumps({"version": 1, "connections": [{
            "name": "Old", "environment": "eu-api-sandbox", "client_id": "c",
            "limits": {"max_payload_bytes": 4_000_000, "max_events": 10_000,
                       "calls_per_minute": 50_000},
            "path_style": "streaming",
        }]}),
        encoding="utf-8",
    )  # fmt: skip
    dialog = open_dialog(qtbot)
    assert dialog.name_edit.text() == "Old"
    assert dialog.limits_combo.currentData() == "api-sandbox"
    assert dialog.path_style_combo.currentData() == "bulk"  # the old default, not a finding


def test_limits_of_ones_own_survive_the_form(qtbot: Any) -> None:
    own = TenantLimits(500_000, 250, 60)
    save_connection(
        Connection(name="Own", environment="eu-production", client_id="c", limits=own,
                   limits_custom=True)
    )  # fmt: skip
    dialog = open_dialog(qtbot)
    assert dialog.limits_combo.currentData() == OWN_LIMITS
    assert "250 events, 500 KB per call, 60 calls a minute" in dialog.limits_combo.currentText()
    save(qtbot, dialog)
    assert load_connections()[0].limits == own


def test_the_test_finds_and_saves_the_upload_path(qtbot: Any) -> None:
    with Emulator(EmulatorConfig(ingestion_paths="streaming")) as emu:
        save_connection(
            Connection(name="Emu", environment=CUSTOM, custom_base_url=emu.base_url,
                       client_id=DEMO_CLIENT_ID, meter_id=DEMO_METER_ID),
            DEMO_CLIENT_SECRET,
        )  # fmt: skip
        dialog = open_dialog(qtbot)
        labels = [dialog.path_style_combo.itemText(i) for i in range(2)]
        assert labels == [
            "/usage/bulk/ (current)",
            "/meters/streaming/ingestion/ (first published)",
        ]
        assert dialog.path_style_combo.currentData() == "bulk"
        with qtbot.waitSignals([dialog.test_finished, dialog.path_style_saved], timeout=20_000):
            dialog.test_button.click()
    assert "answers at" in dialog.result_label.text()
    assert dialog.path_style_combo.currentData() == "streaming"
    assert dialog.path_state_label.text() == PATH_FOUND
    [saved] = load_connections()
    assert saved.path_style == "streaming" and saved.path_style_confirmed
    # fixed by hand: no longer a finding, and saved as chosen
    dialog.path_style_combo.setCurrentIndex(dialog.path_style_combo.findData("bulk"))
    assert dialog.path_state_label.text() == PATH_NOT_TESTED
    save(qtbot, dialog)
    [saved] = load_connections()
    assert saved.path_style == "bulk" and not saved.path_style_confirmed


def test_a_failed_test_does_not_change_the_upload_path(qtbot: Any) -> None:
    with Emulator(EmulatorConfig(forbidden="permission")) as emu:
        dialog = open_dialog(qtbot)
        fill(dialog, "Emu", emu.base_url, DEMO_CLIENT_SECRET)
        with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
            dialog.test_button.click()
    assert "HTTP 403" in dialog.result_label.text()
    assert "answers at" not in dialog.result_label.text()
    assert dialog.path_state_label.text() == PATH_NOT_TESTED


def test_a_pasted_url_of_another_host_is_refused_before_anything_is_sent(qtbot: Any) -> None:
    with Emulator() as mine, Emulator() as other:
        dialog = open_dialog(qtbot)
        fill(dialog, "Mine", mine.base_url, DEMO_CLIENT_SECRET)
        dialog.meter_edit.setText(other.upload_url(DEMO_METER_ID, "bulk"))
        with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
            dialog.test_button.click()
        assert "nothing was sent" in dialog.result_label.text()
        assert not dialog.save()
        for emu in (mine, other):
            assert emu.stats()["token_requests"] == 0 and emu.stats()["calls"] == 0


def test_plain_http_to_localhost_says_use_127_0_0_1(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Local", "http://localhost:8080", "s")
    assert not dialog.save()
    assert "http://127.0.0.1:8080" in dialog.result_label.text()


# --------------------------------------------------------------------------- issue 11


def _visible_texts(dialog: ConnectionsDialog) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [w.text() for w in dialog.findChildren(QLabel) if w.isVisibleTo(dialog) and w.text()]


def test_a_finance_user_sees_plain_fields_first_and_the_rest_behind_advanced(
    qtbot: Any,
) -> None:
    dialog = open_dialog(qtbot)
    first = [
        dialog.name_edit,
        dialog.environment_combo,
        dialog.limits_combo,
        dialog.client_id_edit,
        dialog.secret_edit,
        dialog.form.meter_number_edit,
    ]
    technical = [
        dialog.base_url_edit,
        dialog.entity_edit,
        dialog.org_edit,
        dialog.path_style_combo,
        dialog.path_state_label,
        dialog.meter_edit,
    ]
    assert all(w.isVisibleTo(dialog) for w in first)
    assert not dialog.form.advanced_button.isChecked()  # closed by default
    assert not any(w.isVisibleTo(dialog) for w in technical)
    # the environment in words: no address in the list
    combo = dialog.environment_combo
    assert not any("://" in combo.itemText(i) for i in range(combo.count()))
    dialog.form.advanced_button.click()
    assert all(w.isVisibleTo(dialog) for w in technical)
    # each advanced hint is one plain line
    for hint in dialog.form.advanced_hints:
        assert hint.isVisibleTo(dialog) and "\n" not in hint.text() and len(hint.text()) < 90
    dialog.form.advanced_button.click()
    # a custom address is asked for where the environment is chosen
    combo.setCurrentIndex(combo.findData(CUSTOM))
    assert dialog.base_url_edit.isVisibleTo(dialog)
    combo.setCurrentIndex(0)
    assert not dialog.base_url_edit.isVisibleTo(dialog)


def test_the_keyring_problem_is_said_once(qtbot: Any, no_keyring: None, emulator: Emulator) -> None:
    dialog = open_dialog(qtbot)
    said = [t for t in _visible_texts(dialog) if "cannot be" in t or "keyring" in t.lower()]
    assert len(said) == 1, said
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    save(qtbot, dialog)
    said = [t for t in _visible_texts(dialog) if "No password store" in t]
    assert len(said) == 1, said
    assert "without its secret" in dialog.result_label.text()


def test_leave_empty_only_when_a_secret_is_stored(qtbot: Any, memory_keyring: Any) -> None:
    save_connection(Connection(name="Kept", client_id="c"), "s3cret")
    save_connection(Connection(name="Bare", client_id="c"))
    dialog = open_dialog(qtbot)
    assert dialog.name_edit.text() == "Bare"
    assert "leave empty" not in dialog.secret_edit.placeholderText().lower()
    assert "needed" in dialog.secret_edit.placeholderText().lower()
    with qtbot.waitSignal(dialog.keyring_checked, timeout=5_000):
        dialog.list.setCurrentRow(1)
    assert dialog.name_edit.text() == "Kept"
    assert "leave empty to keep the stored secret" in dialog.secret_edit.placeholderText()
    with qtbot.waitSignal(dialog.keyring_checked, timeout=5_000):
        dialog.list.setCurrentRow(0)
    assert "leave empty" not in dialog.secret_edit.placeholderText().lower()
    dialog.new_button.click()
    assert "needed" in dialog.secret_edit.placeholderText().lower()


def test_nothing_moves_when_a_test_result_appears(qtbot: Any, emulator: Emulator) -> None:
    """The walk: Test, Save and New moved after every Test, so a click missed."""
    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    dialog.resize(dialog.minimumSizeHint())  # as small as it goes (no window manager)
    qtbot.wait(50)
    buttons = (dialog.test_button, dialog.save_button, dialog.new_button, dialog.delete_button)

    def where() -> list[Any]:
        return [b.mapTo(dialog, b.rect().topLeft()) for b in buttons]

    before, size = where(), dialog.size()
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    qtbot.wait(50)
    assert dialog.result_label.isVisibleTo(dialog)
    assert where() == before and dialog.size() == size
    fill(dialog, "Emulator", emulator.base_url, "wrong-secret")
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    qtbot.wait(50)
    assert where() == before and dialog.size() == size


def test_advanced_open_still_fits_an_800_pixel_screen(qtbot: Any) -> None:
    """The second walk: with Advanced open the dialog was taller than the screen and Close
    was cut off; the form scrolls instead."""
    dialog = open_dialog(qtbot)
    dialog.form.advanced_button.setChecked(True)
    qtbot.wait(50)
    assert dialog.minimumSizeHint().height() <= 600
    dialog.resize(dialog.width(), 600)
    qtbot.wait(50)
    close = dialog.findChildren(QDialogButtonBox)[-1]
    bottom = close.mapTo(dialog, close.rect().bottomLeft()).y()
    assert bottom <= dialog.height()


def test_closing_with_unsaved_changes_asks_and_can_save_them(
    qtbot: Any, emulator: Emulator, memory_keyring: Any, unsaved_connection_answers: Any
) -> None:
    """The walk closed Connections with a typed connection and lost it without a word."""
    answers = unsaved_connection_answers
    dialog = open_dialog(qtbot)
    dialog.reject()  # nothing typed: closes without asking
    assert answers.asked == [] and not dialog.isVisible()

    dialog = open_dialog(qtbot)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    answers.append("cancel")
    dialog.reject()
    assert answers.asked == ["Emulator"] and dialog.isVisible()
    assert dialog.name_edit.text() == "Emulator"  # Cancel keeps what was typed

    answers.append("save")
    with qtbot.waitSignal(dialog.saved, timeout=5_000) as saved:
        dialog.reject()
    assert saved.args == [True]
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    [conn] = load_connections()
    assert conn.name == "Emulator" and get_secret("Emulator") == DEMO_CLIENT_SECRET

    dialog = open_dialog(qtbot)  # loaded as saved: nothing to ask
    dialog.reject()
    assert answers.asked == ["Emulator", "Emulator"] and not dialog.isVisible()


def test_switching_connections_asks_about_unsaved_changes(
    qtbot: Any, emulator: Emulator, memory_keyring: Any, unsaved_connection_answers: Any
) -> None:
    answers = unsaved_connection_answers
    save_connection(Connection(name="A", environment=CUSTOM, custom_base_url=emulator.base_url,
                               client_id="a", meter_id=DEMO_METER_ID), None)  # fmt: skip
    save_connection(Connection(name="B", environment=CUSTOM, custom_base_url=emulator.base_url,
                               client_id="b", meter_id=DEMO_METER_ID), None)  # fmt: skip
    dialog = open_dialog(qtbot)
    assert dialog.list.currentItem().text() == "A"
    dialog.client_id_edit.setText("a-changed")
    answers.append("cancel")
    dialog.list.setCurrentRow(1)  # B
    assert answers.asked == ["A"]
    assert dialog.list.currentItem().text() == "A"  # stayed on the edited one
    assert dialog.client_id_edit.text() == "a-changed"
    # a real click on B: the highlight comes back to A once the click is done
    b = dialog.list.item(1)
    answers.append("cancel")
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.list.visualItemRect(b).center())  # fmt: skip
    qtbot.wait(20)
    assert dialog.list.currentItem().text() == "A" and dialog.list.selectedItems()[0].text() == "A"
    assert answers.asked == ["A", "A"]
    answers.asked.pop()

    dialog.list.setCurrentRow(1)  # asked again: Discard (the default answer here)
    assert answers.asked == ["A", "A"]
    assert dialog.client_id_edit.text() == "b"

    dialog.client_id_edit.setText("b-changed")
    answers.append("save")
    with qtbot.waitSignals([dialog.saved, dialog.loaded], timeout=5_000):
        dialog.list.setCurrentRow(0)  # A, after B is saved
    assert dialog.name_edit.text() == "A" and dialog.client_id_edit.text() == "a"
    assert {c.name: c.client_id for c in load_connections()} == {"A": "a", "B": "b-changed"}

    dialog.client_id_edit.setText("a-new")
    dialog.new_button.click()  # New asks too
    assert answers.asked == ["A", "A", "B", "A"] and dialog.name_edit.text() == ""


def test_saving_on_close_without_a_keyring_keeps_the_secret_for_the_session_and_says_so(
    qtbot: Any, no_keyring: None, emulator: Emulator, unsaved_connection_answers: Any
) -> None:
    """The "Save your changes?" prompt where the system has no keyring: the connection is
    saved without its secret, the dialog stays open to say so, and the secret is not lost
    for this session."""
    answers = unsaved_connection_answers
    kept: dict[str, str] = {}
    dialog = open_dialog(qtbot, session_secrets=kept)
    fill(dialog, "Emulator", emulator.base_url, DEMO_CLIENT_SECRET)
    answers.append("save")
    with qtbot.waitSignal(dialog.saved, timeout=5_000) as saved:
        dialog.reject()
    assert saved.args == [True] and answers.asked == ["Emulator"]
    [conn] = load_connections()
    assert conn.name == "Emulator"
    assert kept == {"Emulator": DEMO_CLIENT_SECRET}
    # told, not closed under the user's eyes: the sentence stays readable
    qtbot.wait(100)
    assert dialog.isVisible()
    assert "without its secret" in dialog.result_label.text()
    assert "keyring" in dialog.keyring_message.lower()
    dialog.reject()  # saved now: closes without asking again
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    assert answers.asked == ["Emulator"]
