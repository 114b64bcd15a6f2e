"""The HTTP client against the emulator over loopback: OAuth, headers, gzip, failures."""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import http.server
import ipaddress
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from zmed_gui.core.errors import ConnectionProblem, OptionsError
from zmed_gui.core.zuora import (
    REFUSED_UPLOAD,
    AddressMoved,
    NoAnswer,
    NotSent,
    RateLimiter,
    ZuoraClient,
    backoff_delay,
    check_track_id,
    new_track_id,
    parse_retry_after,
)
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)

EVENT = (
    b'[{"CustomerId":"A1","Quantity":1,"UsageDate":"2026-11-01T10:00:00Z","UsageIdentifier":"api"}]'
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


def make_client(emu: Emulator, secret: str = DEMO_CLIENT_SECRET, **kw: object) -> ZuoraClient:
    return ZuoraClient(emu.base_url, DEMO_CLIENT_ID, secret, **kw)  # type: ignore[arg-type]


def test_token_is_cached_and_shared_across_threads(emu: Emulator) -> None:
    with make_client(emu) as client:
        results: list[int] = []

        def post() -> None:
            results.append(client.post_events(emu.upload_url(), EVENT).status)

        threads = [threading.Thread(target=post) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 8
        assert emu.stats()["tokens_issued"] == 1
        assert client.token_fetches == 1


def test_expired_token_is_refreshed_once_and_resent(emu: Emulator) -> None:
    with make_client(emu) as client:
        assert client.post_events(emu.upload_url(), EVENT).ok
        emu.expire_tokens()
        res = client.post_events(emu.upload_url(), EVENT)
        assert res.ok and res.resent_after_401
        assert emu.stats()["tokens_issued"] == 2
        assert len(emu.accepted_events()) == 2


def test_401_with_a_fresh_token_blames_permissions_not_the_secret() -> None:
    with Emulator(EmulatorConfig(token_lifetime=0)) as emu, make_client(emu) as client:
        with pytest.raises(ConnectionProblem) as info:
            client.post_events(emu.upload_url(), EVENT)
        assert str(info.value) == REFUSED_UPLOAD
        assert "accepted the client ID and secret" in str(info.value)
        assert emu.stats()["tokens_issued"] == 2
        assert emu.accepted_events() == []


def test_wrong_secret_is_refused(emu: Emulator) -> None:
    with make_client(emu, secret="not-the-secret") as client:
        with pytest.raises(ConnectionProblem) as info:
            client.token()
        assert (
            str(info.value) == "Zuora refused the client ID and secret: check them in Connections."
        )
        assert "not-the-secret" not in str(info.value)


def test_headers_gzip_track_entity_org(emu: Emulator) -> None:
    with make_client(emu, entity_ids="ent-1", org_ids="org-1, org-2") as client:
        res = client.post_events(emu.upload_url(style="bulk"), EVENT, track_id="zmed-track-1")
        assert res.ok and res.request_id and res.track_id == "zmed-track-1"
        plain = client.post_events(emu.upload_url(), EVENT, gzip_body=False)
        assert plain.ok and plain.request_id != res.request_id
    stats = emu.stats()
    assert stats["gzip_requests"] == 1
    assert stats["track_ids"] == ["zmed-track-1"]
    assert stats["entity_ids"][0] == "ent-1"
    assert stats["org_ids"][:2] == ["org-1", "org-2"]


def test_400_body_is_kept(emu: Emulator) -> None:
    bad = EVENT.replace(b'"Quantity":1', b'"Quantity":"lots"')
    with make_client(emu) as client:
        res = client.post_events(emu.upload_url(), bad)
    assert res.status == 400 and res.message
    assert res.reasons and res.reasons[0]["index"] == 0 and res.reasons[0]["field"] == "Quantity"


def test_unknown_meter_is_404(emu: Emulator) -> None:
    with make_client(emu) as client:
        res = client.post_events(emu.upload_url("f" * 32), EVENT)
    assert res.status == 404 and "does not exist" in res.message


def test_drop_after_send_is_no_answer() -> None:
    cfg = EmulatorConfig(faults=FaultPlan.parse("call1=drop-after,call2=drop-before"))
    with Emulator(cfg) as emu, make_client(emu) as client:
        with pytest.raises(NoAnswer):
            client.post_events(emu.upload_url(), EVENT)
        with pytest.raises(NoAnswer):
            client.post_events(emu.upload_url(), EVENT)
        assert len(emu.accepted_events()) == 1  # drop-after recorded it, drop-before did not
        assert client.post_events(emu.upload_url(), EVENT).ok  # the client recovers


def test_timeout_after_send_is_no_answer() -> None:
    cfg = EmulatorConfig(faults=FaultPlan.parse("call1=slow:3"))
    with Emulator(cfg) as emu, make_client(emu, timeout=0.5) as client:
        client.token()
        with pytest.raises(NoAnswer, match=r"^no answer came in time$"):
            client.post_events(emu.upload_url(), EVENT)
        assert len(emu.accepted_events()) == 1


def test_nothing_listening_is_not_sent() -> None:
    with Emulator() as emu:
        base = emu.base_url
    client = ZuoraClient(base, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, timeout=2)
    with client, pytest.raises(NotSent, match=r"could not reach 127\.0\.0\.1.*refused"):
        client.post_events(base + f"/usage/bulk/{DEMO_METER_ID}", EVENT)


def test_addresses_and_files_are_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionsError, match="plain http"):
        ZuoraClient("http://example.com", "c", "s")
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(OptionsError, match="CA bundle"):
        ZuoraClient("https://rest.zuora.com", "c", "s", ca_bundle=str(bad))
    with pytest.raises(OptionsError, match="client ID"):
        ZuoraClient("https://rest.zuora.com", " ", "s")
    client = ZuoraClient(
        "https://rest.zuora.com", "c", "very-secret-value", proxy="http://127.0.0.1:3128"
    )
    assert "very-secret-value" not in repr(client)
    client.close()


def test_secret_and_token_never_logged(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = DEMO_CLIENT_SECRET
    with make_client(emu) as client:
        token = client.token()
        client.post_events(emu.upload_url(), EVENT)
        emu.expire_tokens()
        client.post_events(emu.upload_url(), EVENT)
        logging.getLogger("zmed_gui.core.zuora").info("leak attempt %s %s", token, secret)
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "httpcore" in caplog.text  # debug logs of the HTTP stack were captured
    assert token not in text and secret not in text
    assert "leak attempt *** ***" in caplog.text


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("zmed-1", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("a:b", False),
        ("a;b", False),
        ('a"b', False),
        ("a'b", False),
        ("größe", False),
        ("", False),
    ],
)
def test_track_id_rules(value: str, ok: bool) -> None:
    if ok:
        assert check_track_id(value) == value
    else:
        with pytest.raises(OptionsError, match="at most 64 plain ASCII"):
            check_track_id(value)
    assert check_track_id(new_track_id())


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    when = email.utils.formatdate(now + 10, usegmt=True)
    assert 8.0 <= (parse_retry_after(when, now) or 0) <= 10.0
    rng = random.Random(1)
    for attempt in range(10):
        d = backoff_delay(attempt, 0.5, 8.0, rng)
        assert 0.0 <= d <= min(8.0, 0.5 * 2**attempt)
    assert max(backoff_delay(9, 0.5, 8.0, rng) for _ in range(200)) > 4.0  # full jitter


def test_rate_limiter_paces_calls() -> None:
    limiter = RateLimiter(calls_per_minute=600, burst=2)  # 10 per second
    t0 = time.monotonic()
    for _ in range(7):
        assert limiter.acquire()
    assert time.monotonic() - t0 >= 0.45  # 2 at once, then 5 at 0.1 s
    stop = threading.Event()
    stop.set()
    slow = RateLimiter(calls_per_minute=1)
    assert slow.acquire(stop)  # the bucket starts with one call
    assert not slow.acquire(stop)  # a stop ends the wait


def test_gzip_bodies_are_smaller() -> None:
    body = b"[" + b",".join([EVENT[1:-1]] * 1000) + b"]"
    assert len(gzip.compress(body, 4)) < len(body) / 10


def test_token_endpoint_429_is_retried() -> None:
    cfg = EmulatorConfig(faults=FaultPlan.parse("seed=2,token-429=0.4"))
    with Emulator(cfg) as emu, make_client(emu) as client:
        client.token()  # the first token request gets a 429 (Retry-After: 1), the second a token
        assert emu.stats()["faults_injected"].get("token-429", 0) == 1
        assert client.post_events(emu.upload_url(), EVENT).ok


# --------------------------------------------------------------------------- TLS


def _make_ca_and_server_cert(tmp: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it (PEM files)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> Any:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("zmed test CA"))
        .issuer_name(name("zmed test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("rest.zuora.test"),  # reached through a test proxy
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


class _TinyZuora(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/oauth/token":
            body = b'{"access_token": "tls-token-123456", "expires_in": 3600}'
        else:
            body = b'{"success": true, "message": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca_file, cert_file, key_file = _make_ca_and_server_cert(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TinyZuora)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_tls_is_verified_and_a_ca_bundle_can_be_added(tls_server: tuple[str, Path]) -> None:
    base, ca_file = tls_server
    with ZuoraClient(base, "c", "s", timeout=5) as client:
        with pytest.raises(ConnectionProblem) as info:
            client.token()
        assert str(info.value).startswith("The certificate of 127.0.0.1:")
        assert "CA bundle" in str(info.value)
    with ZuoraClient(base, "c", "s", timeout=5, ca_bundle=str(ca_file)) as client:
        assert client.token() == "tls-token-123456"
        assert client.post_events(f"{base}/usage/bulk/{DEMO_METER_ID}", EVENT).ok


class _ForwardingProxy(http.server.BaseHTTPRequestHandler):
    """A plain-http forward proxy that counts what went through it."""

    seen: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        import http.client
        from urllib.parse import urlsplit

        target = urlsplit(self.path)  # absolute-form request line: a proxy request
        type(self).seen.append(target.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=5)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        conn.request("POST", target.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection"):
                self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    def do_CONNECT(self) -> None:
        """A tunnel, to the test's TLS server whatever name was asked for (no DNS here)."""
        type(self).seen.append(f"CONNECT {self.path}")
        upstream = socket.create_connection(("127.0.0.1", type(self).tunnel_port), timeout=5)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()

        def pipe(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pipe, args=(upstream, self.connection), daemon=True)
        back.start()
        pipe(self.connection, upstream)
        back.join(5)
        upstream.close()
        self.close_connection = True

    tunnel_port = 0


@pytest.fixture
def forward_proxy() -> Iterator[str]:
    _ForwardingProxy.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ForwardingProxy)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_connection_proxy_carries_https_to_a_name(
    tls_server: tuple[str, Path], forward_proxy: str
) -> None:
    base, ca_file = tls_server
    _ForwardingProxy.tunnel_port = int(base.rsplit(":", 1)[1])
    named = f"https://rest.zuora.test:{_ForwardingProxy.tunnel_port}"
    with ZuoraClient(named, "c", "s", timeout=5, ca_bundle=str(ca_file), proxy=forward_proxy) as c:
        assert c.token() == "tls-token-123456"
        assert c.post_events(f"{named}/usage/bulk/{DEMO_METER_ID}", EVENT).ok
    # TLS end to end through a CONNECT tunnel: the proxy never saw a path, let alone a secret
    assert _ForwardingProxy.seen and all(
        s == f"CONNECT rest.zuora.test:{_ForwardingProxy.tunnel_port}"
        for s in _ForwardingProxy.seen
    )


def _uses_no_proxy(client: ZuoraClient, url: str) -> bool:
    http_client = client._http
    transport = http_client._transport_for_url(httpx.URL(url))
    pool = transport._pool  # type: ignore[attr-defined]
    return (
        not http_client._mounts
        and not http_client.trust_env
        and type(pool) is httpcore.ConnectionPool  # not HTTPProxy / SOCKSProxy
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "127.3.4.5"])
def test_loopback_is_never_reached_through_a_proxy_config(host: str) -> None:
    base = f"http://{host}:8080"
    with ZuoraClient(base, "c", "s", proxy="http://proxy.example:3128") as client:
        assert _uses_no_proxy(client, base + "/oauth/token")
    with ZuoraClient("https://rest.zuora.com", "c", "s", proxy="http://proxy.example:3128") as c:
        assert not _uses_no_proxy(c, "https://rest.zuora.com/oauth/token")  # names do use it


def test_loopback_with_a_bogus_proxy_still_reaches_the_emulator(
    emu: Emulator, forward_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, forward_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # The connection names a proxy that is not there, and the environment another one.
    with make_client(emu, proxy="http://127.0.0.1:9") as client:
        assert _uses_no_proxy(client, emu.base_url)
        assert client.post_events(emu.upload_url(), EVENT).ok
    with make_client(emu) as client:  # the environment's proxy is not used either
        assert client.post_events(emu.upload_url(), EVENT).ok
    assert _ForwardingProxy.seen == []  # the secret and the token never went through it
    assert len(emu.accepted_events()) == 2


class _Redirector(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``target`` and records what it got."""

    target = ""
    status = 307
    seen: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.path)
        if self.path == "/oauth/token" and type(self).status == 0:
            body = b'{"access_token": "redirect-token-123456", "expires_in": 3600}'
            self.send_response(200)
        else:
            body = b""
            self.send_response(type(self).status or 308)
            self.send_header("Location", type(self).target + self.path)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def redirector(emu: Emulator) -> Iterator[str]:
    _Redirector.seen, _Redirector.target = [], emu.base_url
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_token_request_is_never_redirected(emu: Emulator, redirector: str, status: int) -> None:
    _Redirector.status = status
    with ZuoraClient(redirector, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, timeout=5) as client:
        assert client._http.follow_redirects is False
        with pytest.raises(AddressMoved) as info:
            client.token()
    text = str(info.value)
    assert f"the address moved to {emu.base_url}/oauth/token; update the connection" in text
    assert _Redirector.seen == ["/oauth/token"]
    assert emu.stats()["token_requests"] == 0  # the secret did not follow


def test_upload_request_is_never_redirected(emu: Emulator, redirector: str) -> None:
    _Redirector.status = 0  # a token here, then a 308 to the emulator for the upload
    with ZuoraClient(redirector, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, timeout=5) as client:
        res = client.post_events(f"{redirector}/usage/bulk/{DEMO_METER_ID}", EVENT)
    assert res.status == 308 and not res.ok
    assert _Redirector.seen == ["/oauth/token", f"/usage/bulk/{DEMO_METER_ID}"]
    assert emu.stats()["calls"] == 0 and emu.accepted_events() == []  # the token stayed put
