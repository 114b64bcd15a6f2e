"""Questions asked around an upload: the duplicate guard, resuming, resending.

Each builder returns a dialog that is not yet shown, so the caller opens it window-modal
without a nested event loop (``box.open()`` + ``finished``) and tests can press its buttons.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from zmed_gui.core.journal import JournalDamaged, abandon_upload, find_interrupted_uploads
from zmed_gui.core.upload import destination
from zmed_gui.ui import jobs
from zmed_gui.ui.journal_dialog import journal_damaged_box
from zmed_gui.ui.numbers import count, counted
from zmed_gui.ui.state import AppState

log = logging.getLogger(__name__)


def n(number: int) -> str:
    """A count as the whole window writes it: the system locale's grouping (numbers.py)."""
    return count(number)


_HTTP_IN_PARENS = re.compile(r"\s*\(HTTP \d{3}[^)]*\)")
_HTTP_ANSWERED = re.compile(r"\banswered HTTP (\d{3})\b")
_REQUEST_ID = re.compile(r"[;,]?\s*\(?Zuora-Request-Id:?\s*[\w-]+\)?", re.IGNORECASE)


def plain_words(message: str) -> tuple[str, str]:
    """Core's sentence without the status codes and request IDs (for the step), and the
    original for Show Details when anything was taken out (else "")."""
    plain = _HTTP_IN_PARENS.sub("", message)
    plain = _HTTP_ANSWERED.sub("refused it", plain)
    plain = _REQUEST_ID.sub("", plain)
    return plain, ("" if plain == message else f"Technical details: {message}")


def when(iso: str | None) -> str:
    """An ISO 8601 UTC time from the journal as the user's local date and time."""
    if not iso:
        return "an earlier time"
    try:
        stamp = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone()
    return stamp.strftime("%Y-%m-%d %H:%M")


class GuardChoice(Enum):
    SEND_NEW = "new"
    SEND_ALL = "all"
    CANCEL = "cancel"


def _short(upload_id: str) -> str:
    return upload_id[:8]


_LISTED = 50  # Excel rows a guard's details list per kind


def _excel_rows(items: Any, findings: bool = False) -> str:
    """The first Excel rows of ``items`` (or of duplicate ``findings``), "…" after them
    when there are more: for the guard's details."""
    first = items[:_LISTED]
    rows = (f.item.excel_row for f in first) if findings else (i.excel_row for i in first)
    return ", ".join(n(r) for r in rows) + ("…" if len(items) > _LISTED else "")


def guard_text(
    plan: Any, earlier: dict[str, Any] | None = None, service: str = "Zuora"
) -> tuple[str, str]:
    """(main text, details) for the duplicate guard; ``earlier`` maps upload id -> record.

    ``service`` is where the events went: "Zuora", or "the local emulator" in demo mode.
    """
    earlier = earlier or {}
    lines: list[str] = []
    details: list[str] = []
    if plan.duplicates:
        # Counted by the plan (about 10 ms at 300k rows): walking ``plan.duplicates`` here
        # builds an object per event on the GUI thread (150 ms at 300k rows).
        ids: dict[str, int] = plan.duplicates_by_upload()
        parts = []
        for uid, count in sorted(ids.items(), key=lambda kv: -kv[1])[:3]:
            rec = earlier.get(uid)
            started = when(getattr(rec, "started", None)) if rec is not None else None
            on = f" on {started}" if started else ""
            parts.append(f"{n(count)} by upload {_short(uid)}{on}")
        lines.append(
            f"{n(len(plan.duplicates))} of these events "
            f"{'was' if len(plan.duplicates) == 1 else 'were'} already received by {service} "
            f"({'; '.join(parts)})."
        )
        details.append(f"Already received (Excel rows): {_excel_rows(plan.duplicates, True)}")
    copies = getattr(plan, "copies", ())
    if copies:
        one = len(copies) == 1
        first = copies[0]
        held = "It is" if one else "They are"
        lines.append(
            f"{counted(len(copies), 'more event')} here {'is a copy' if one else 'are copies'} "
            f"of {'an event' if one else 'events'} {service} already has once (for example "
            f"Excel row {n(first.item.excel_row)}): the file holds more copies than {service} "
            f"received, as when a repeated row was left out last time. {held} held back; send "
            "all only if the usage really happened again."
        )
        details.append(
            f"Copies of events already received (Excel rows): {_excel_rows(copies, True)}"
        )
    if plan.uncertain:
        lines.append(
            f"{counted(len(plan.uncertain), 'event')} sent by an earlier upload never got "
            f"an answer from {service}: they may or may not have arrived."
        )
        details.append(f"Sent without an answer (Excel rows): {_excel_rows(plan.uncertain)}")
    refused = len(getattr(plan, "refused_before", ()))
    if refused:
        were = "was" if refused == 1 else "were"
        they, are = ("it", "is") if refused == 1 else ("they", "are")
        lines.append(
            f"{counted(refused, 'event')} here {were} refused by {service} in an earlier "
            f"upload ({plan.refusal_words()}). Sent again as {they} {are}, {they} will be "
            f"refused again unless the cause was put right in {service}: if the fault is "
            f"in the file, press Cancel and fix {'it' if refused == 1 else 'them'} in Review "
            "first."
        )
        details.append(f"Refused before (Excel rows): {_excel_rows(plan.refused_before)}")
    new = len(plan.to_send)
    if new and (plan.duplicates or plan.uncertain or copies):
        lines.append(
            f"Send only the {counted(new, 'event')} {service} does not have, to be safe; "
            "sending the others again may bill your customers twice."
        )
        rows = _excel_rows(plan.to_send)
        details.insert(0, f"Not in {service}, sent by the first button (Excel rows): {rows}")
    elif new:
        lines.append(f"None of these events is already in {service}: nothing is counted twice.")
    else:
        # Not a dead end: a row put back in on purpose (two real, identical usages) can
        # still go, and the user is told what that means before choosing.
        again = len(plan.duplicates) + len(plan.uncertain) + len(copies)
        them = "it" if again == 1 else "them"
        lines.append(
            f"Every event here was sent before. Send {them} again only if the usage really "
            f"happened {'twice' if again == 1 else 'again'} (for example two identical "
            f"rows that are both real): {service} would count {them} twice. Otherwise "
            "press Cancel; nothing is sent."
        )
    return "\n\n".join(lines), "\n".join(details)


def duplicate_guard(
    parent: QWidget | None,
    plan: Any,
    earlier: dict[str, Any] | None = None,
    *,
    service: str = "Zuora",
) -> QMessageBox:
    """The question asked when some events may already be in Zuora.

    Buttons carry their :class:`GuardChoice` in the ``choice`` property.
    """
    text, details = guard_text(plan, earlier, service)
    again = len(plan.duplicates) + len(plan.uncertain) + len(getattr(plan, "copies", ()))
    box = QMessageBox(parent)
    box.setWindowTitle(
        f"Some events may already be in {service}" if again else "Some events were refused before"
    )
    box.setIcon(QMessageBox.Icon.Warning)
    box.setText(text)
    if details:
        box.setDetailedText(details)
    to_send = counted(len(plan.to_send), "event")
    if not plan.to_send:
        new_label = "No new ones"
    elif again:
        new_label = f"Send only the {to_send} {service} does not have"
    else:  # only events refused before: nothing is held back
        new_label = f"Send the {to_send}"
    new_button = box.addButton(new_label, QMessageBox.ButtonRole.AcceptRole)
    new_button.setProperty("choice", GuardChoice.SEND_NEW.value)
    if not plan.to_send:
        new_button.hide()  # nothing new: a greyed "No new ones" only looked like a dead end
    all_label = (
        "Send all anyway (may bill twice)"
        if plan.to_send
        else f"Send {'it' if again == 1 else 'them'} again (counted twice)"
    )
    all_button = box.addButton(all_label, QMessageBox.ButtonRole.DestructiveRole)
    all_button.setProperty("choice", GuardChoice.SEND_ALL.value)
    if not again:
        all_button.hide()  # nothing held back: "all" is what the other button sends
    cancel_button = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel_button.setProperty("choice", GuardChoice.CANCEL.value)
    box.setDefaultButton(new_button if plan.to_send else cancel_button)
    box.setEscapeButton(cancel_button)
    return box


def choice_of(box: QMessageBox) -> GuardChoice:
    button = box.clickedButton()
    value = button.property("choice") if button is not None else None
    try:
        return GuardChoice(value)
    except ValueError:
        return GuardChoice.CANCEL


def button_for(box: QMessageBox, choice: GuardChoice) -> QPushButton:
    """The guard's button for ``choice`` (tests click it)."""
    for b in box.buttons():
        if b.property("choice") == choice.value:
            return b  # type: ignore[return-value]
    raise LookupError(choice)


def resend_question(
    parent: QWidget | None, failed: int, uncertain: int, *, service: str = "Zuora"
) -> QMessageBox:
    """Confirm an explicit resend of rejected and unanswered events."""
    box = QMessageBox(parent)
    box.setWindowTitle("Send failed events again")
    box.setIcon(QMessageBox.Icon.Question)
    parts = []
    if failed:
        parts.append(
            f"{counted(failed, 'event')} that {'was' if failed == 1 else 'were'} not accepted"
        )
    if uncertain:
        parts.append(f"{counted(uncertain, 'event')} that got no answer")
    text = f"Send {' and '.join(parts)} again?"
    if uncertain:
        text += (
            f"\n\nEvents that got no answer may already be in {service}; sending them again "
            "may bill them twice. Check the meter's audit trail first if you can."
        )
    if failed:
        text += (
            f"\n\nEvents {service} rejected will usually be rejected again unless you fix them "
            "(see the result report)."
        )
    box.setText(text)
    yes = box.addButton("Send again", QMessageBox.ButtonRole.AcceptRole)
    yes.setProperty("choice", GuardChoice.SEND_ALL.value)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setProperty("choice", GuardChoice.CANCEL.value)
    box.setDefaultButton(cancel)
    return box


def _received(record: Any) -> int:
    """Events of an upload Zuora received: accepted, and those the meter was seen to keep
    ("Check with Zuora" turns accepted into kept)."""
    return int(record.accepted) + int(getattr(record, "kept", 0))


def _went_to(record: Any) -> str:
    """Where an upload went, in words: the demo's emulator (core's :func:`destination`),
    or the Zuora host (a journal's URL that does not parse: "Zuora")."""
    url = str(getattr(record, "meter_url", ""))
    if destination(url) != "Zuora":
        return "the demo's local emulator"
    try:
        return urlsplit(url).hostname or "Zuora"
    except ValueError:
        return "Zuora"


def resume_text(record: Any) -> str:
    received = _received(record)
    refused = int(record.rejected) + int(getattr(record, "rejected_after_receipt", 0))
    done = received + refused + int(getattr(record, "skipped", 0))
    return (
        f"An upload to {_went_to(record)} did not finish: {record.file_name}, sheet "
        f"'{record.sheet}', started {when(record.started)}. {n(done)} of "
        f"{n(record.events_total)} events were handled ({n(received)} received"
        + (f", {n(refused)} refused" if refused else "")
        + f"), {n(record.pending)} were not sent yet"
        + (f" and {n(record.uncertain)} got no answer" if record.uncertain else "")
        + ".\n\nTo finish it, open the same file with the same mapping and press Upload: "
        "zmed-gui sends only what is missing, never anything twice."
    )


def resume_offer(parent: QWidget | None, records: list[Any]) -> QMessageBox:
    """The question shown at start when an upload was interrupted."""
    record = records[0]
    box = QMessageBox(parent)
    box.setWindowTitle("An upload did not finish")
    box.setIcon(QMessageBox.Icon.Information)
    text = resume_text(record)
    if len(records) > 1:
        text += f"\n\n{n(len(records) - 1)} more unfinished uploads are listed below."
        box.setDetailedText(
            "\n".join(
                f"{r.file_name} '{r.sheet}', {when(r.started)}: {n(_received(r))} of "
                f"{n(r.events_total)} received by {_went_to(r)} (upload {_short(r.upload_id)})"
                for r in records
            )
        )
    box.setText(text)
    resume = box.addButton("Resume when I open it", QMessageBox.ButtonRole.AcceptRole)
    resume.setProperty("choice", "resume")
    discard = box.addButton(
        "Discard it" if len(records) == 1 else "Discard them", QMessageBox.ButtonRole.ActionRole
    )
    discard.setProperty("choice", "discard")
    discard.setToolTip(
        "Never offer this again (for example, it went to a wrong meter). What was received "
        "stays recorded, so nothing is sent twice."
    )
    later = box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    later.setProperty("choice", "later")
    box.setDefaultButton(resume)
    box.setEscapeButton(later)
    return box


DISCARDED: list[int] = []  # how many uploads each "Discard" at start discarded (tests)


class _ResumeOffer(QObject):
    """Finds interrupted uploads in a worker, then asks; kept alive until answered."""

    _alive: set[_ResumeOffer] = set()

    def __init__(self, parent: QWidget | None, state: AppState) -> None:
        super().__init__(parent)
        self._parent = parent
        self._state = state
        self.box: QMessageBox | None = None
        self._records: list[Any] = []
        _ResumeOffer._alive.add(self)

    def run(self) -> None:
        def work(progress: Any, cancel: Any) -> list[Any]:
            return list(find_interrupted_uploads())

        jobs.run(
            work,
            finished=self._on_worker_finished,
            failed_error=self._on_worker_failed_error,
            failed=self._on_worker_failed,
        )

    def _on_worker_failed_error(self, exc: object) -> None:
        if isinstance(exc, JournalDamaged):  # say so at once, not at the first upload
            self._state.set_journal_box(journal_damaged_box(self._parent, str(exc), exc.path))

    def _on_worker_finished(self, records: list[Any]) -> None:
        if not records:
            self._done()
            return
        self._records = records
        self.box = resume_offer(self._parent, records)
        self.box.setWindowModality(Qt.WindowModality.WindowModal)
        self.box.finished.connect(self._on_box_finished)
        self.box.open()
        self._state.set_resume_offer_box(self.box)  # the window and tests can find it

    def _on_box_finished(self, _code: int) -> None:
        box, self.box = self.box, None
        if box is None:
            return
        button = box.clickedButton()
        choice = button.property("choice") if button is not None else None
        box.deleteLater()
        if choice == "resume":
            # The Upload step resumes the upload whose fingerprint matches the file opened.
            self._state.set_resume_candidates(self._records)
        elif choice == "discard":
            self._discard([r.upload_id for r in self._records])
            return
        self._done()

    def _discard(self, upload_ids: list[str]) -> None:
        def work(progress: Any, cancel: Any) -> int:
            return sum(1 for uid in upload_ids if abandon_upload(uid))

        jobs.run(work, finished=self._on_discarded, failed=self._on_worker_failed)

    def _on_discarded(self, discarded: int) -> None:
        log.info("discarded %d interrupted uploads", discarded)
        DISCARDED.append(discarded)  # tests look
        self._done()

    def _on_worker_failed(self, message: str, details: str) -> None:
        log.warning("could not look for interrupted uploads: %s", message)
        self._done()

    def _done(self) -> None:
        _ResumeOffer._alive.discard(self)
        self.deleteLater()


def offer_resume(parent: QWidget | None, state: AppState) -> None:
    """At start: if an upload was interrupted, say so and offer to resume it.

    Looks at the journal in a worker; returns at once. The main window calls this once
    after showing itself.
    """
    _ResumeOffer(parent, state).run()
