"""Where a command talks to: the tenant (a saved connection, an environment or a base URL),
the meter (its ID or Upload URL) and the OAuth client. Shared by ``send`` and
``reconcile``."""

from __future__ import annotations

import argparse
import dataclasses

from zmed_gui.core.connections import (
    CUSTOM,
    DEFAULT_PATH_STYLE,
    ENVIRONMENTS,
    Connection,
    Target,
    TenantLimits,
    check_base_url,
    check_same_tenant,
    environment_limits,
    get_connection,
    limits_preset,
    make_target,
    parse_upload_url,
)
from zmed_gui.core.errors import OptionsError


def add_where_options(parser: argparse.ArgumentParser, title: str) -> None:
    where = parser.add_argument_group(title)
    tenant = where.add_mutually_exclusive_group()
    tenant.add_argument("--connection", metavar="NAME", help="a connection saved in the app")
    tenant.add_argument(
        "--environment",
        metavar="NAME",
        choices=sorted(ENVIRONMENTS),
        help="a Zuora environment: " + ", ".join(sorted(ENVIRONMENTS)),
    )
    tenant.add_argument("--base-url", metavar="URL", help="a custom base URL (https)")
    meter = where.add_mutually_exclusive_group()
    meter.add_argument("--meter", metavar="ID", help="the meter's global ID")
    meter.add_argument("--upload-url", metavar="URL", help="the meter's Unique Upload URL")
    where.add_argument(
        "--path-style",
        choices=["streaming", "bulk"],
        help="with --meter: /usage/bulk/ID (default, Zuora's current path) or "
        "/meters/streaming/ingestion/ID (as first published); a 404 tries the other once",
    )
    where.add_argument("--client-id", metavar="ID", help="the OAuth client ID")
    where.add_argument("--entity-ids", metavar="IDS", help="Zuora-Entity-Ids header")
    where.add_argument("--org-ids", metavar="IDS", help="Zuora-Org-Ids header (comma separated)")


@dataclasses.dataclass
class Where:
    target: Target | None  # None only when the command allows no meter
    connection: Connection
    limits: TenantLimits


def resolve_where(
    args: argparse.Namespace, *, need_client_id: bool = True, need_meter: bool = True
) -> Where:
    """The tenant, meter and client the command line names, checked (one sentence if not)."""
    conn: Connection | None = None
    if args.connection:
        conn = get_connection(args.connection)
        limits = conn.effective_limits
        base: str | None = conn.base_url
    elif args.environment:
        env = ENVIRONMENTS[args.environment]
        base, limits = (
            env.base_url,
            environment_limits(args.environment) or limits_preset(env.limits_preset),
        )
    elif args.base_url:
        base, limits = check_base_url(args.base_url, "--base-url"), limits_preset("production")
    else:
        base, limits = None, limits_preset("production")
    target: Target | None = None
    if args.upload_url:
        target = parse_upload_url(args.upload_url)
        if base is not None:
            check_same_tenant(base, target)
    elif args.meter:
        if base is None:
            raise OptionsError(
                "Say where the meter is: --connection NAME, --environment NAME or --base-url URL."
            )
        style = args.path_style or (conn.path_style if conn else DEFAULT_PATH_STYLE)
        target = make_target(base, args.meter, style)
    elif conn is not None and conn.default_target() is not None:
        target = conn.default_target()
    elif need_meter:
        raise OptionsError("Say which meter to send to: --meter ID or --upload-url URL.")
    if conn is None:
        where_base = target.base_url if target is not None else base
        if where_base is None:
            raise OptionsError(
                "Say which tenant: --connection NAME, --environment NAME or --base-url URL."
            )
        conn = Connection(name="", environment=CUSTOM, custom_base_url=where_base)
    else:
        conn = dataclasses.replace(conn)
    if args.client_id:
        conn.client_id = args.client_id
    if args.entity_ids is not None:
        conn.entity_ids = args.entity_ids
    if args.org_ids is not None:
        conn.org_ids = args.org_ids
    if not conn.client_id.strip() and need_client_id:
        raise OptionsError("Give the OAuth client ID with --client-id (or use --connection).")
    return Where(target, conn, limits)
