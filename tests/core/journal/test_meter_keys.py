"""One key per meter, however it was typed."""

from __future__ import annotations

import pytest

from zmed_gui.core.connections import make_target, meter_key, parse_upload_url, tenant_key

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
