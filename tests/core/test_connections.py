"""Connections: environments, limits, upload URLs, the JSON store and test_connection."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import MemoryKeyring
from zmed_gui.core.connections import (
    CUSTOM,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    NO_KEYRING,
    Connection,
    TenantLimits,
    check_base_url,
    connections_file,
    delete_connection,
    get_connection,
    get_secret,
    limits_preset,
    load_connections,
    make_target,
    parse_upload_url,
    save_connection,
)
from zmed_gui.core.errors import CredentialsError, OptionsError
from zmed_gui.core.zuora import test_connection
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator

METER = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


def emulator_connection(emu: Emulator, **kw: object) -> Connection:
    return Connection(
        name="Emu",
        environment=CUSTOM,
        custom_base_url=emu.base_url,
        client_id=DEMO_CLIENT_ID,
        **kw,  # type: ignore[arg-type]
    )


def test_ten_environments_with_stable_keys() -> None:
    assert len(ENVIRONMENTS) == 10
    assert ENVIRONMENTS["us-production-cloud2"].base_url == "https://rest.zuora.com"
    assert ENVIRONMENTS["us-api-sandbox-cloud1"].base_url == "https://rest.sandbox.na.zuora.com"
    assert ENVIRONMENTS["eu-production"].base_url == "https://rest.eu.zuora.com"
    assert ENVIRONMENTS["apac-developer-sandbox"].base_url == "https://rest.test.ap.zuora.com"
    for env in ENVIRONMENTS.values():
        assert env.base_url.startswith("https://")
        assert env.limits_preset in LIMIT_PRESETS


def test_limit_presets() -> None:
    assert limits_preset("api-sandbox") == TenantLimits(1_000_000, 1_000, 600)
    assert limits_preset("developer-sandbox") == TenantLimits(2_000_000, 5_000, 5_000)
    assert limits_preset("production") == TenantLimits(4_000_000, 10_000, 50_000)
    lim = limits_preset("production")
    lim.max_events = 5  # editable copies: the preset itself does not change
    assert limits_preset("production").max_events == 10_000
    with pytest.raises(OptionsError, match="not a tenant type"):
        limits_preset("gold")


@pytest.mark.parametrize(
    ("url", "base", "style"),
    [
        (
            f"https://rest.zuora.com/meters/streaming/ingestion/{METER}",
            "https://rest.zuora.com",
            "streaming",
        ),
        (f"https://rest.zuora.com/usage/bulk/{METER}/", "https://rest.zuora.com", "bulk"),
        (
            f"  https://rest.test.eu.zuora.com/usage/bulk/{METER}  ",
            "https://rest.test.eu.zuora.com",
            "bulk",
        ),
        (
            f"https://gw.example.com/zuora/usage/bulk/{METER}",
            "https://gw.example.com/zuora",
            "bulk",
        ),
        (
            f"http://127.0.0.1:8080/meters/streaming/ingestion/{METER}",
            "http://127.0.0.1:8080",
            "streaming",
        ),
        (f"http://localhost:9/usage/bulk/{METER}", "http://localhost:9", "bulk"),
    ],
)
def test_parse_upload_url(url: str, base: str, style: str) -> None:
    target = parse_upload_url(url)
    assert (target.base_url, target.meter_id, target.style) == (base, METER, style)
    assert target.url == url.strip().rstrip("/")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://rest.zuora.com/usage/bulk/{METER}", "plain http"),
        ("https://rest.zuora.com/v1/accounts", "not an upload URL"),
        ("rest.zuora.com/usage/bulk/x", "not an upload URL"),
        ("https://rest.zuora.com/usage/bulk/", "not an upload URL"),
        ("https://rest.zuora.com/usage/bulk/a%20b", "not a meter ID"),
        (f"ftp://rest.zuora.com/usage/bulk/{METER}", "not an upload URL"),
    ],
)
def test_parse_upload_url_rejects(url: str, words: str) -> None:
    with pytest.raises(OptionsError, match=words) as info:
        parse_upload_url(url)
    assert str(info.value).endswith(".")


def test_targets_and_base_urls() -> None:
    t = make_target("https://rest.zuora.com/", METER)
    assert t.url == f"https://rest.zuora.com/meters/streaming/ingestion/{METER}"
    assert t.with_style("bulk").url == f"https://rest.zuora.com/usage/bulk/{METER}"
    assert t.meter_key == t.with_style("bulk").meter_key  # same meter, either path
    with pytest.raises(OptionsError, match="path style"):
        make_target("https://rest.zuora.com", METER, "fast")
    assert check_base_url("http://[::1]:81/") == "http://[::1]:81"
    with pytest.raises(OptionsError, match="plain http"):
        check_base_url("http://10.0.0.1")
    with pytest.raises(OptionsError, match="must not have"):
        check_base_url("https://rest.zuora.com/?x=1")


def test_connection_base_url_and_validation() -> None:
    c = Connection(name="Prod", environment="eu-production", client_id="cid")
    assert c.base_url == "https://rest.eu.zuora.com"
    assert c.default_target() is None
    c.meter_id = METER
    assert c.default_target() == make_target("https://rest.eu.zuora.com", METER)
    c.upload_url = f"https://rest.eu.zuora.com/usage/bulk/{METER}"
    assert c.default_target() is not None and c.default_target().style == "bulk"  # type: ignore[union-attr]
    with pytest.raises(OptionsError, match="no base URL"):
        _ = Connection(name="X", environment=CUSTOM).base_url
    with pytest.raises(OptionsError, match="plain http"):
        Connection(
            name="X", environment=CUSTOM, custom_base_url="http://zuora.example", client_id="c"
        ).validate()
    with pytest.raises(OptionsError, match="unknown environment"):
        _ = Connection(name="X", environment="mars").base_url
    with pytest.raises(OptionsError, match="no client ID"):
        Connection(name="X").validate()


def test_save_load_delete_keeps_secret_only_in_keyring(memory_keyring: MemoryKeyring) -> None:
    conn = Connection(
        name="Production EU",
        environment="eu-production",
        client_id="client-123",
        entity_ids="ent-1",
        org_ids="org-1,org-2",
        limits=limits_preset("production"),
        meter_id=METER,
        path_style="bulk",
    )
    save_connection(conn, secret="s3cr3t-value")
    save_connection(Connection(name="Sandbox", environment="us-api-sandbox-cloud2", client_id="c2"))
    text = connections_file().read_text(encoding="utf-8")
    assert "s3cr3t-value" not in text
    assert "secret" not in json.loads(text)["connections"][0]
    assert memory_keyring.store[("zmed-gui", "Production EU")] == "s3cr3t-value"
    loaded = load_connections()
    assert [c.name for c in loaded] == ["Production EU", "Sandbox"]
    assert loaded[0] == conn
    assert get_connection("production eu").client_id == "client-123"
    assert get_secret("Production EU") == "s3cr3t-value"
    # replacing by name keeps one entry
    conn.client_id = "client-456"
    save_connection(conn)
    assert [c.client_id for c in load_connections()] == ["client-456", "c2"]
    delete_connection("Production EU")
    assert [c.name for c in load_connections()] == ["Sandbox"]
    assert ("zmed-gui", "Production EU") not in memory_keyring.store
    with pytest.raises(OptionsError, match="no saved connection called 'Production EU'"):
        get_connection("Production EU")


@pytest.mark.usefixtures("no_keyring")
def test_save_without_keyring_fails_and_saves_nothing() -> None:
    conn = Connection(name="P", environment="eu-production", client_id="c")
    with pytest.raises(CredentialsError) as info:
        save_connection(conn, secret="x-secret")
    assert str(info.value) == NO_KEYRING
    assert str(info.value).startswith("No system keyring is available on this computer")
    assert "ZMED_CLIENT_SECRET" in str(info.value)
    assert load_connections() == []
    save_connection(conn)  # without a secret it still saves
    delete_connection("P")  # and deleting without a keyring is fine


def test_broken_connections_file_is_one_sentence() -> None:
    connections_file().parent.mkdir(parents=True, exist_ok=True)
    connections_file().write_text("{not json", encoding="utf-8")
    with pytest.raises(OptionsError, match="cannot be read") as info:
        load_connections()
    assert str(info.value).endswith("fix or delete that file.")


def test_test_connection_finds_meter(emu: Emulator) -> None:
    res = test_connection(emulator_connection(emu), DEMO_CLIENT_SECRET, DEMO_METER_ID)
    assert res.ok and res.token_ok and res.style == "streaming"
    assert res.upload_url == emu.upload_url(DEMO_METER_ID, "streaming")
    assert "answers at" in res.message
    bulk = test_connection(
        emulator_connection(emu, path_style="bulk", meter_id=DEMO_METER_ID), DEMO_CLIENT_SECRET
    )
    assert bulk.ok and bulk.style == "bulk"
    assert emu.accepted_events() == []  # the probe carries no usage


def test_test_connection_unknown_meter_tries_both_paths(emu: Emulator) -> None:
    before = emu.stats()["calls"]
    res = test_connection(emulator_connection(emu), DEMO_CLIENT_SECRET, METER)
    assert not res.ok and res.token_ok and res.style is None
    assert emu.stats()["calls"] - before == 2
    assert f"does not know the meter {METER}" in res.message
    assert "/usage/bulk/" in res.message and "/meters/streaming/ingestion/" in res.message


def test_test_connection_wrong_secret_and_no_server(emu: Emulator) -> None:
    res = test_connection(emulator_connection(emu), "wrong", DEMO_METER_ID)
    assert not res.ok and not res.token_ok
    assert res.message == "Zuora refused the client ID and secret: check them in Connections."
    dead = Connection(
        name="D", environment=CUSTOM, custom_base_url="http://127.0.0.1:9", client_id="c"
    )
    res = test_connection(dead, "x", DEMO_METER_ID, timeout=2)
    assert not res.ok and "Cannot reach http://127.0.0.1:9" in res.message
    only_token = test_connection(emulator_connection(emu), DEMO_CLIENT_SECRET)
    assert only_token.ok and only_token.style is None and "No meter" in only_token.message
