"""Discarding a dead upload (a wrong meter): it is no longer offered, its events still count."""

from __future__ import annotations

from pathlib import Path

from tests.core.journal._helpers import new_upload
from zmed_gui.core.journal import (
    Journal,
    UploadStatus,
    abandon_upload,
    find_interrupted_uploads,
)


def test_an_interrupted_upload_can_be_discarded_and_is_not_offered_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        new_upload(j, "u1", ["a", "b"])
        j.finish_upload("u1", UploadStatus.FAILED, "The meter does not exist.")
        assert [r.upload_id for r in find_interrupted_uploads(j)] == ["u1"]
        assert abandon_upload("u1", j)
        assert find_interrupted_uploads(j) == []
        assert j.find_resumable("fp", "m|1") is None
        rec = j.get_upload("u1")
        assert rec is not None and rec.status == UploadStatus.ABANDONED
        assert not abandon_upload("u1", j)  # once is enough
        # a running or completed upload is never discarded
        new_upload(j, "u2", ["c"])
        j.finish_upload("u2", UploadStatus.COMPLETED, "done")
        assert not j.abandon_upload("u2")
        assert j.get_upload("u2").status == UploadStatus.COMPLETED  # type: ignore[union-attr]
