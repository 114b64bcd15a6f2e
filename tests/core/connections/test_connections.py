"""Connections: environments, limits, upload URLs, the JSON store and test_connection."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import MemoryKeyring
from zmed_gui.core.connections import (
    CUSTOM,
    DEFAULT_ENVIRONMENT,
    DEFAULT_PATH_STYLE,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    NO_KEYRING,
    Connection,
    Target,
    TenantLimits,
    check_base_url,
    check_same_tenant,
    connections_file,
    delete_connection,
    get_connection,
    get_secret,
    is_loopback_host,
    limits_preset,
    load_connections,
    make_target,
    meter_url,
    parse_upload_url,
    save_connection,
)
from zmed_gui.core.errors import CredentialsError, OptionsError
from zmed_gui.core.zuora import ProbeOutcome, test_connection
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)

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
        (f"http://[::1]:9/usage/bulk/{METER}", "http://[::1]:9", "bulk"),
        (f"https://localhost:9/usage/bulk/{METER}", "https://localhost:9", "bulk"),
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
        (
            f"http://localhost:9/usage/bulk/{METER}",
            r"use the address instead: http://127\.0\.0\.1:9",
        ),
        (f"https://u:pw@rest.zuora.com/usage/bulk/{METER}", "user name or password"),
    ],
)
def test_parse_upload_url_rejects(url: str, words: str) -> None:
    with pytest.raises(OptionsError, match=words) as info:
        parse_upload_url(url)
    assert str(info.value).endswith(".")


def test_targets_and_base_urls() -> None:
    t = make_target("https://rest.zuora.com/", METER)
    assert t.url == f"https://rest.zuora.com/usage/bulk/{METER}"  # Zuora's corrected path
    assert t.with_style("streaming").url == (
        f"https://rest.zuora.com/meters/streaming/ingestion/{METER}"
    )
    assert t.meter_key == t.with_style("streaming").meter_key  # same meter, either path
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
    assert str(info.value).startswith("No password store is available on this computer")
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
    assert res.ok and res.token_ok and res.style == "bulk"
    assert res.outcome == ProbeOutcome.ANSWERS
    assert res.upload_url == emu.upload_url(DEMO_METER_ID, "bulk")
    assert "answers at" in res.message
    streaming = test_connection(
        emulator_connection(emu, path_style="streaming", meter_id=DEMO_METER_ID),
        DEMO_CLIENT_SECRET,
    )
    assert streaming.ok and streaming.style == "streaming"
    assert emu.accepted_events() == []  # the probe carries no usage


def test_test_connection_unknown_meter_stops_at_the_404_naming_it(emu: Emulator) -> None:
    before = emu.stats()["calls"]
    res = test_connection(emulator_connection(emu), DEMO_CLIENT_SECRET, METER)
    assert not res.ok and res.token_ok and res.style is None
    assert res.outcome == ProbeOutcome.UNKNOWN_METER
    # The 404 names the meter: the route exists, so the other path is not tried.
    assert emu.stats()["calls"] - before == 1
    assert f"does not know the meter {METER}" in res.message
    assert "/usage/bulk/" in res.message


def test_test_connection_wrong_secret_and_no_server(emu: Emulator) -> None:
    res = test_connection(emulator_connection(emu), "wrong", DEMO_METER_ID)
    assert not res.ok and not res.token_ok
    assert res.message == "Zuora refused the client ID and secret: check them in Connections."
    dead = Connection(
        name="D", environment=CUSTOM, custom_base_url="http://127.0.0.1:9", client_id="c"
    )
    res = test_connection(dead, "x", DEMO_METER_ID, timeout=2)
    assert not res.ok and "Could not reach 127.0.0.1:9: " in res.message
    only_token = test_connection(emulator_connection(emu), DEMO_CLIENT_SECRET)
    assert only_token.ok and only_token.style is None and "No meter" in only_token.message


# --------------------------------------------------------------------------- plain http


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", False),
        ("LOCALHOST", False),
        ("app.localhost", False),
        ("10.0.0.1", False),
        ("rest.zuora.com", False),
    ],
)
def test_only_literal_loopback_addresses_are_this_computer(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "url", ["http://localhost:8080", "http://LocalHost/", "http://emu.localhost:81"]
)
def test_plain_http_to_a_localhost_name_says_use_127_0_0_1(url: str) -> None:
    with pytest.raises(OptionsError, match="plain http") as info:
        check_base_url(url)
    assert "http://127.0.0.1" in str(info.value) and str(info.value).endswith(".")
    https = url.replace("http://", "https://")
    assert check_base_url(https) == https.rstrip("/")  # https to any name stays allowed


# --------------------------------------------------------------------------- one tenant


@pytest.mark.parametrize(
    "url",
    [
        f"https://rest.zuora.com/usage/bulk/{METER}",
        f"https://REST.Zuora.COM:443/usage/bulk/{METER}",  # case and the default port
        f"https://rest.zuora.com/some/prefix/meters/streaming/ingestion/{METER}",
    ],
)
def test_same_tenant_accepts_the_connection_host(url: str) -> None:
    check_same_tenant("https://rest.zuora.com", parse_upload_url(url))


@pytest.mark.parametrize(
    "url",
    [
        f"https://rest.eu.zuora.com/usage/bulk/{METER}",  # another data centre
        f"https://rest.zuora.com:8443/usage/bulk/{METER}",  # another port
        f"https://rest.zuora.com.evil.example/usage/bulk/{METER}",
        f"http://127.0.0.1:8080/usage/bulk/{METER}",
    ],
)
def test_same_tenant_refuses_another_host(url: str) -> None:
    with pytest.raises(OptionsError) as info:
        check_same_tenant("https://rest.zuora.com", parse_upload_url(url))
    text = str(info.value)
    assert "https://rest.zuora.com" in text and "nothing was sent" in text
    assert text.endswith(".")


def test_saved_upload_url_of_another_host_is_refused() -> None:
    conn = Connection(
        name="EU", environment="eu-production", client_id="c",
        upload_url=f"https://rest.zuora.com/usage/bulk/{METER}",
    )  # fmt: skip
    with pytest.raises(OptionsError, match=r"https://rest\.eu\.zuora\.com"):
        conn.default_target()
    with pytest.raises(OptionsError, match="nothing was sent"):
        conn.validate()


def test_test_connection_never_contacts_another_host(emu: Emulator) -> None:
    with Emulator() as other:
        pasted = parse_upload_url(other.upload_url(DEMO_METER_ID, "bulk"))
        res = test_connection(emulator_connection(emu), DEMO_CLIENT_SECRET, target=pasted)
        assert not res.ok and not res.token_ok and res.outcome == ProbeOutcome.NOT_TRIED
        assert "nothing was sent" in res.message
        # neither the token request nor the probe went anywhere
        assert other.stats()["token_requests"] == 0 and other.stats()["calls"] == 0


# --------------------------------------------------------------------------- limits


def test_new_connections_start_on_a_sandbox_with_its_limits() -> None:
    conn = Connection(name="")
    assert conn.environment == DEFAULT_ENVIRONMENT
    env = ENVIRONMENTS[conn.environment]
    assert "sandbox" in env.key and env.limits_preset != "production"
    assert conn.limits == limits_preset(env.limits_preset)


@pytest.mark.parametrize("key", sorted(ENVIRONMENTS))
def test_limits_follow_the_environment(key: str) -> None:
    conn = Connection(name="X", environment=key, client_id="c")
    assert conn.limits == conn.effective_limits == limits_preset(ENVIRONMENTS[key].limits_preset)


def test_api_sandbox_takes_its_own_limits() -> None:
    conn = Connection(name="S", environment="us-api-sandbox-cloud1", limits=TenantLimits())
    assert conn.effective_limits == TenantLimits(1_000_000, 1_000, 600)
    assert conn.limits == TenantLimits(1_000_000, 1_000, 600)
    conn.environment = "eu-production"  # changed later: the effective limits follow
    assert conn.effective_limits == limits_preset("production")


def test_custom_base_url_and_custom_limits_keep_what_was_set() -> None:
    own = TenantLimits(500_000, 250, 60)
    custom = Connection(
        name="C", environment=CUSTOM, custom_base_url="https://z.example", limits=own
    )
    assert custom.effective_limits == own
    chosen = Connection(
        name="S", environment="us-api-sandbox-cloud2", limits=limits_preset("production"),
        limits_custom=True,
    )  # fmt: skip
    assert chosen.effective_limits == limits_preset("production")


def _write_raw(items: list[dict[str, Any]]) -> None:
    connections_file().parent.mkdir(parents=True, exist_ok=True)
    connections_file().write_text(
        json.dumps({"version": 1, "connections": items}), encoding="utf-8"
    )


PRODUCTION_LIMITS = {
    "max_payload_bytes": 4_000_000,
    "max_events": 10_000,
    "calls_per_minute": 50_000,
}


def test_old_file_with_production_limits_on_an_api_sandbox_is_corrected() -> None:
    _write_raw([
        {"name": "Old", "environment": "us-api-sandbox-cloud2", "client_id": "c",
         "limits": PRODUCTION_LIMITS, "path_style": "streaming", "meter_id": METER},
        {"name": "Mine", "environment": "us-api-sandbox-cloud2", "client_id": "c",
         "limits": PRODUCTION_LIMITS, "limits_custom": True},
        {"name": "Emu", "environment": CUSTOM, "custom_base_url": "http://127.0.0.1:9",
         "client_id": "c", "limits": {"max_payload_bytes": 9_999, "max_events": 7,
                                      "calls_per_minute": 3}},
    ])  # fmt: skip
    old, mine, emu_conn = (get_connection(n) for n in ("Old", "Mine", "Emu"))
    assert old.limits == TenantLimits(1_000_000, 1_000, 600) and not old.limits_custom
    assert mine.limits == limits_preset("production")  # the user's own choice stays
    assert emu_conn.limits == TenantLimits(9_999, 7, 3)  # a custom base URL keeps its own
    # Saved again, the flag is written, and the correction sticks.
    save_connection(old)
    saved = json.loads(connections_file().read_text(encoding="utf-8"))["connections"]
    entry = next(c for c in saved if c["name"] == "Old")
    assert entry["limits"]["max_events"] == 1_000 and entry["limits_custom"] is False


# --------------------------------------------------------------------------- path style


def test_bulk_is_the_default_path_everywhere() -> None:
    assert DEFAULT_PATH_STYLE == "bulk"
    assert Target("https://rest.zuora.com", METER).url.endswith(f"/usage/bulk/{METER}")
    assert make_target("https://rest.zuora.com", METER).style == "bulk"
    assert meter_url("https://rest.zuora.com", METER).endswith(f"/usage/bulk/{METER}")
    conn = Connection(name="X", environment="eu-production", meter_id=METER)
    assert conn.path_style == "bulk" and not conn.path_style_confirmed
    assert conn.default_target() == make_target("https://rest.eu.zuora.com", METER, "bulk")


def test_path_style_found_is_kept_and_old_files_get_the_default() -> None:
    _write_raw([
        {"name": "Old", "environment": "eu-production", "client_id": "c",
         "path_style": "streaming", "meter_id": METER},
    ])  # fmt: skip
    assert get_connection("Old").path_style == "bulk"  # the old default, never a finding
    found = Connection(
        name="Found", environment="eu-production", client_id="c", path_style="streaming",
        path_style_confirmed=True,
    )  # fmt: skip
    save_connection(found)
    assert get_connection("Found") == found
    hand = Connection(name="Hand", environment="eu-production", client_id="c",
                      path_style="streaming")  # fmt: skip
    save_connection(hand)
    assert get_connection("Hand").path_style == "streaming"  # chosen by hand, kept


# --------------------------------------------------------------------------- the probe's truth


def _probe(config: EmulatorConfig, meter: str = DEMO_METER_ID, **kw: Any) -> Any:
    with Emulator(config) as e:
        res = test_connection(emulator_connection(e, **kw), DEMO_CLIENT_SECRET, meter)
        res.stats = e.stats()  # type: ignore[attr-defined]
        return res


@pytest.mark.parametrize(
    ("paths", "preferred", "style", "calls"),
    [
        ("bulk", "bulk", "bulk", 1),
        ("bulk", "streaming", "bulk", 2),
        ("streaming", "bulk", "streaming", 2),
        ("streaming", "streaming", "streaming", 1),
    ],
)
def test_probe_finds_the_path_that_answers(
    paths: str, preferred: str, style: str, calls: int
) -> None:
    res = _probe(EmulatorConfig(ingestion_paths=paths), path_style=preferred)  # type: ignore[arg-type]
    assert res.ok and res.outcome == ProbeOutcome.ANSWERS and res.style == style
    assert res.stats["calls"] + res.stats["unrouted"] == calls
    assert res.upload_url.endswith(meter_url("", DEMO_METER_ID, style))
    assert "empty list of events" in res.message  # a 400 about the empty body
    if calls == 2:
        assert "Nothing answers at" in res.message


def test_probe_unknown_meter_on_the_path_that_exists() -> None:
    res = _probe(EmulatorConfig(ingestion_paths="streaming"), meter=METER)
    assert not res.ok and res.outcome == ProbeOutcome.UNKNOWN_METER and res.style is None
    assert res.stats["calls"] + res.stats["unrouted"] == 2
    assert "/meters/streaming/ingestion/" in res.message


def test_probe_answers_with_200() -> None:
    res = _probe(EmulatorConfig(schema_check="after-receipt"))
    # an empty array passes basic checks in this mode, or is refused as empty: both answer
    assert res.ok and res.outcome == ProbeOutcome.ANSWERS and res.style == "bulk"


@pytest.mark.parametrize(
    ("config", "outcome", "words"),
    [
        (EmulatorConfig(forbidden="permission"), ProbeOutcome.FORBIDDEN, "Run Meters"),
        (
            EmulatorConfig(forbidden="not-enabled", error_shape="errors"),
            ProbeOutcome.FORBIDDEN,
            "Usage metering is not enabled",
        ),
        (
            EmulatorConfig(faults=FaultPlan.parse("call1=429:7")),
            ProbeOutcome.RATE_LIMITED,
            "try the test again in 7 seconds",
        ),
        (
            EmulatorConfig(faults=FaultPlan.parse("call1=429:30"), rate_limit_headers="ratelimit"),
            ProbeOutcome.RATE_LIMITED,
            "try the test again in 30 seconds",
        ),
        (
            EmulatorConfig(faults=FaultPlan.parse("token-expiry=1")),
            ProbeOutcome.METER_REFUSED,
            "Zuora took the client ID and secret but refuses this meter with them",
        ),
        (EmulatorConfig(max_payload_bytes=1), ProbeOutcome.TOO_LARGE, "HTTP 413"),
        (
            EmulatorConfig(faults=FaultPlan.parse("call1=503")),
            ProbeOutcome.UNAVAILABLE,
            "HTTP 503",
        ),
        (
            EmulatorConfig(faults=FaultPlan.parse("call1=drop-after")),
            ProbeOutcome.UNAVAILABLE,
            "did not answer",
        ),
    ],
    ids=["403", "403-not-enabled", "429", "429-ratelimit", "401", "413", "503", "no-answer"],
)
def test_probe_says_what_each_answer_means(
    config: EmulatorConfig, outcome: ProbeOutcome, words: str
) -> None:
    res = _probe(config)
    assert res.token_ok and not res.ok and res.style is None
    assert res.outcome == outcome
    assert words in res.message
    assert "answers at" not in res.message
    if outcome == ProbeOutcome.METER_REFUSED:
        assert "refused the client ID and secret" not in res.message  # not the secret's fault
        assert res.stats["token_requests"] == 2  # one fresh token, one resend, no more


class _Tiny(http.server.BaseHTTPRequestHandler):
    """A stand-in Zuora: a token for anyone, then one scripted answer for every meter call."""

    token_status = 200
    status = 404
    body = b'{"success": false, "reasons": [{"code": 50000040, "message": "Not found."}]}'
    headers_out: dict[str, str] = {}
    seen: list[tuple[str, str | None]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        extra = dict(self.headers_out)
        if self.path == "/oauth/token":
            status = self.token_status
            body = b'{"access_token": "tiny-token-123456", "expires_in": 3600}'
        else:
            status, body = self.status, self.body
        if status != 200 and self.path == "/oauth/token":
            body = b""
        self.send_response(status)
        for name, value in extra.items():
            if self.path != "/oauth/token" or status != 200:
                self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tiny() -> Iterator[type[_Tiny]]:
    handler = type("TinyZuora", (_Tiny,), {"seen": [], "headers_out": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    handler.base_url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _tiny_test(tiny: type[_Tiny], meter: str = METER) -> Any:
    base = tiny.base_url  # type: ignore[attr-defined]
    conn = Connection(name="T", environment=CUSTOM, custom_base_url=base, client_id="c")
    return test_connection(conn, "s", meter, timeout=5)


def test_probe_404_naming_no_meter_on_both_paths(tiny: type[_Tiny]) -> None:
    res = _tiny_test(tiny)
    assert not res.ok and res.outcome == ProbeOutcome.NO_PATH
    assert "/usage/bulk/" in res.message and "/meters/streaming/ingestion/" in res.message
    assert [p for p, _a in tiny.seen][1:] == [
        f"/usage/bulk/{METER}",
        f"/meters/streaming/ingestion/{METER}",
    ]


def test_probe_404_that_echoes_the_path_names_no_meter(tiny: type[_Tiny]) -> None:
    tiny.body = f'{{"message": "No route for POST /usage/bulk/{METER}"}}'.encode()
    res = _tiny_test(tiny)
    assert res.outcome == ProbeOutcome.NO_PATH and len(tiny.seen) == 3


@pytest.mark.parametrize(
    ("status", "body", "outcome", "ok", "words"),
    [
        (200, b'{"success": true, "message": "0 events received"}', ProbeOutcome.ANSWERS, True,
         "answers at"),
        (200, b'{"success": false, "message": "nope"}', ProbeOutcome.ANSWERS, True,
         "success false"),
        (400, b'{"reasons": [{"code": 1, "message": "Request body must not be empty"}]}',
         ProbeOutcome.ANSWERS, True, "empty list"),
        (400, b'{"errors": [{"code": "X", "message": "Zuora-Entity-Ids is required"}]}',
         ProbeOutcome.UNCLEAR, False, "Zuora-Entity-Ids is required"),
        (405, b"", ProbeOutcome.UNCLEAR, False, "cannot tell"),
        (502, b"<html>bad gateway</html>", ProbeOutcome.UNAVAILABLE, False, "try again later"),
    ],
)  # fmt: skip
def test_probe_reads_each_answer_for_what_it_says(
    tiny: type[_Tiny], status: int, body: bytes, outcome: ProbeOutcome, ok: bool, words: str
) -> None:
    tiny.status, tiny.body = status, body
    res = _tiny_test(tiny)
    assert (res.outcome, res.ok) == (outcome, ok)
    assert words in res.message
    assert (res.style == "bulk") is ok and res.status == status
    assert len(tiny.seen) == 2  # the token, then one probe: no second path after an answer


@pytest.mark.parametrize("token_moved", [False, True], ids=["meter-moved", "token-moved"])
def test_probe_3xx_says_moved_and_follows_nothing(tiny: type[_Tiny], token_moved: bool) -> None:
    tiny.status, tiny.body = 308, b""
    tiny.token_status = 301 if token_moved else 200
    path = "/oauth/token" if token_moved else f"/usage/bulk/{METER}"
    tiny.headers_out = {"Location": "https://rest.eu.zuora.com" + path}
    res = _tiny_test(tiny)
    assert not res.ok and res.outcome == ProbeOutcome.MOVED
    assert res.token_ok is not token_moved
    assert f"the address moved to https://rest.eu.zuora.com{path}" in res.message
    assert "update the connection" in res.message
    # one request each, nothing followed
    assert [p for p, _a in tiny.seen] == ["/oauth/token"] + ([] if token_moved else [path])


@pytest.mark.parametrize("shape", ["emulator", "reasons", "errors"])
def test_probe_reads_every_error_shape(shape: str) -> None:
    config = EmulatorConfig(error_shape=shape)  # type: ignore[arg-type]
    assert _probe(config).outcome == ProbeOutcome.ANSWERS
    unknown = _probe(config, meter=METER)
    assert unknown.outcome == ProbeOutcome.UNKNOWN_METER
    assert unknown.stats["calls"] == 1  # the 404 names the meter in every shape


def test_nothing_listening_is_said_plainly_not_as_a_class_name() -> None:
    """Test connection said "(ConnectError)", a Python class name, to a finance user."""
    with Emulator() as emu:
        conn = emulator_connection(emu)
    res = test_connection(conn, DEMO_CLIENT_SECRET, DEMO_METER_ID, timeout=2)
    assert res.outcome is ProbeOutcome.UNAVAILABLE
    text = " ".join(res.sentences)
    assert "Error" not in text and "(Connect" not in text, text
    assert "could not reach 127.0.0.1" in text.lower(), text
    assert "refused" in text, text
