"""Probing a connection: sign in, then find the path style the meter answers on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zmed_gui.core.connections import PATH_STYLES, PathStyle, Target, make_target
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.zuora._auth import NotSent
from zmed_gui.core.zuora._post import NoAnswer, ZuoraClient

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection


@dataclass
class ConnectionTestResult:
    """What :func:`test_connection` found, as sentences for the user."""

    ok: bool
    token_ok: bool
    style: PathStyle | None  # the path style the tenant answers for the meter, if probed
    upload_url: str | None
    sentences: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return " ".join(self.sentences)


def _probe_target(conn: Connection, meter_id: str | None, target: Target | None) -> Target | None:
    if target is not None:
        return target
    if meter_id:
        return make_target(conn.base_url, meter_id, conn.path_style)
    return conn.default_target()


def test_connection(
    conn: Connection,
    secret: str,
    meter_id: str | None = None,
    *,
    target: Target | None = None,
    timeout: float = 15.0,
) -> ConnectionTestResult:
    """Fetch a token, then probe the meter (preferred style first, then the other one).

    The probe posts an empty JSON array, which carries no usage. Never raises for what it
    finds (wrong secret, unknown meter, no network): those come back as sentences.
    """
    result = ConnectionTestResult(ok=False, token_ok=False, style=None, upload_url=None)
    try:
        tgt = _probe_target(conn, meter_id, target)
        client = ZuoraClient.for_connection(conn, secret, timeout=timeout, max_connections=2)
    except ZmedError as exc:
        result.sentences.append(str(exc))
        return result
    with client:
        try:
            client.token()
        except ZmedError as exc:
            result.sentences.append(str(exc))
            return result
        except NotSent as exc:
            result.sentences.append(
                f"Cannot reach {client.base_url} ({exc}); check the network, proxy or environment."
            )
            return result
        result.token_ok = True
        result.sentences.append(f"Signed in to {client.base_url} as client {conn.client_id}.")
        if tgt is None:
            result.ok = True
            result.sentences.append("No meter was given, so no upload URL was tried.")
            return result
        styles: list[PathStyle] = [tgt.style, *(s for s in PATH_STYLES if s != tgt.style)]
        tried: list[str] = []
        for style in styles:
            url = tgt.with_style(style).url
            tried.append(url)
            try:
                # An empty array carries no usage: it only shows whether the path exists.
                res = client.post_events(url, b"[]", gzip_body=False)
            except ZmedError as exc:
                result.sentences.append(str(exc))
                return result
            except (NotSent, NoAnswer) as exc:
                result.sentences.append(f"The meter URL {url} did not answer ({exc}).")
                return result
            if res.status == 404:
                continue
            if res.status >= 500:
                result.sentences.append(
                    f"The meter URL {url} answered HTTP {res.status}; Zuora may be busy, "
                    "try again later."
                )
                return result
            result.ok = True
            result.style = style
            result.upload_url = url
            result.sentences.append(
                f"The meter {tgt.meter_id} answers at {url} (path style '{style}')."
            )
            return result
        result.sentences.append(
            f"Zuora does not know the meter {tgt.meter_id} at {' or '.join(tried)}; check the "
            "meter ID or paste the meter's Unique Upload URL."
        )
        return result


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
