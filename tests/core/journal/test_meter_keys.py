"""One key per meter, however it was typed; old journals are re-keyed in place on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.core.journal._helpers import old_key, write_old_journal
from zmed_gui.core.connections import make_target, meter_key, parse_upload_url, tenant_key
from zmed_gui.core.journal import EventStatus, Journal

METER = "8a1b2c3d4e5f60718293a4b5c6d7e8f9"
KEY = f"https://rest.zuora.com|{METER}"


@pytest.mark.parametrize(
    "base, meter",
    [
        ("https://rest.zuora.com", METER),
        ("https://REST.zuora.com:443/", METER),
        ("HTTPS://Rest.Zuora.Com//", METER.upper()),
        ("  https://rest.zuora.com:443  ", f" {METER.upper()} "),
    ],
)
def test_spellings_of_one_meter_give_one_key(base: str, meter: str) -> None:
    assert meter_key(base, meter) == KEY


def test_targets_and_upload_urls_give_the_meters_key() -> None:
    assert make_target("https://REST.zuora.com:443/", METER.upper()).meter_key == KEY
    for url in (
        f"https://rest.zuora.com/meters/streaming/ingestion/{METER}",
        f"https://REST.ZUORA.COM:443/usage/bulk/{METER.upper()}/",
    ):
        assert parse_upload_url(url).meter_key == KEY


def test_tenant_key_keeps_what_tells_tenants_apart() -> None:
    assert tenant_key("http://localhost:80/") == "http://localhost"
    assert tenant_key("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert tenant_key("https://rest.zuora.com:8443") == "https://rest.zuora.com:8443"
    assert tenant_key("https://[::1]:443/") == "https://[::1]"
    assert tenant_key("https://gw.example.com/Zuora/") == "https://gw.example.com/Zuora"
    assert tenant_key("not a url/") == "not a url"  # never raises: old rows hold anything


def test_different_meters_and_tenants_differ() -> None:
    keys = {
        meter_key("https://rest.zuora.com", METER),
        meter_key("https://rest.eu.zuora.com", METER),
        meter_key("https://rest.zuora.com:8443", METER),
        meter_key("http://rest.zuora.com", METER),
        meter_key("https://rest.zuora.com/tenant-b", METER),
        meter_key("https://rest.zuora.com", METER[:-1] + "0"),
    }
    assert len(keys) == 6


def test_an_old_journal_migrates_in_place_and_keeps_its_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_old_journal(
        path,
        [
            ("u1", "https://REST.zuora.com:443/", METER.upper(), ["h1", "h2"]),
            ("u2", "https://rest.zuora.com", METER, ["h3"]),
            ("u3", "https://rest.eu.zuora.com", METER, ["h4"]),
        ],
    )
    with sqlite3.connect(path) as db:  # an event whose upload row went missing
        db.execute(
            "INSERT INTO events VALUES('gone', 0, 0, 2, 'h5', ?, 1, 'accepted', '')",
            (old_key("https://Rest.Zuora.com:443", METER.upper()),),
        )
    db.close()
    inode = path.stat().st_ino
    with Journal(path) as j:
        assert {u.upload_id: u.meter_key for u in j.list_uploads()} == {
            "u1": KEY,
            "u2": KEY,
            "u3": f"https://rest.eu.zuora.com|{METER}",
        }
        # the duplicate guard, asked with today's key, finds all earlier uploads' events
        target = make_target("https://rest.zuora.com", METER)
        found = j.prior_statuses(target.meter_key, ["h1", "h2", "h3", "h4", "h5"])
        assert found == {
            "h1": [(EventStatus.ACCEPTED, "u1")],
            "h2": [(EventStatus.ACCEPTED, "u1")],
            "h3": [(EventStatus.ACCEPTED, "u2")],
            "h5": [(EventStatus.ACCEPTED, "gone")],
        }
    assert path.stat().st_ino == inode  # migrated in place, not rebuilt and swapped
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert meta["app"] == "zmed-gui" and meta["schema_version"] == "3"
    assert meta["meter_keys"] == "2" and meta["meter_keys_migrated"]
    assert meta["migrated_from"] == "1"
    assert {"meta", "leases", "uploads", "events", "batches"} <= tables


def test_the_migration_runs_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    write_old_journal(path, [("u1", "https://rest.zuora.com", METER, ["h1"])])
    Journal(path).close()
    with sqlite3.connect(path) as db:
        stamp = db.execute("SELECT value FROM meta WHERE key='meter_keys_migrated'").fetchone()
        db.execute("UPDATE uploads SET meter_key='left alone'")  # would be re-keyed if rerun
    db.close()
    with Journal(path) as j:
        assert [u.meter_key for u in j.list_uploads()] == ["left alone"]
    with sqlite3.connect(path) as db:
        again = db.execute("SELECT value FROM meta WHERE key='meter_keys_migrated'").fetchone()
    db.close()
    assert again == stamp
