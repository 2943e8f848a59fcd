"""``rcc apikey`` and ``rcc user``: bearer API keys, and the people who sign in to the web pages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from rcc.cli.common import _existing_factory, _factory

apikey_app = typer.Typer(help="Bearer API keys.", no_args_is_help=True)


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="admin | rcc_commissioner | la_officer | provider")],
    rcc: Annotated[str | None, typer.Option(help="RCC id or name (rcc_commissioner)")] = None,
    la: Annotated[str | None, typer.Option(help="LA GSS or DfE code (la_officer)")] = None,
    provider: Annotated[int | None, typer.Option(help="provider id (provider)")] = None,
    label: str | None = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    from rcc.admin import create_key

    try:
        key = create_key(_existing_factory(), role, rcc=rcc, la=la, provider=provider, label=label)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(key)


@apikey_app.command("revoke")
def apikey_revoke(
    key: Annotated[str, typer.Argument(help="key id, lookup prefix, or the key itself")],
) -> None:
    """Revoke a key: it stops working at once; the row stays for the audit trail."""
    from rcc.auth import revoke_api_key
    from rcc.db import transaction

    try:
        with transaction(_factory()) as s:
            row = revoke_api_key(s, key)
            typer.echo(
                f"revoked key {row.id} ({row.prefix}, {row.role}) at {row.revoked_at:%Y-%m-%d %H:%M:%S}Z"
            )
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@apikey_app.command("list")
def apikey_list(
    active: Annotated[bool, typer.Option(help="only keys not revoked")] = False,
) -> None:
    """Keys (never their secrets): id, prefix, role, scope, label, created and revoked times."""
    from rcc.auth import list_api_keys

    with _factory()() as s:
        rows = list_api_keys(s, include_revoked=not active)
        typer.echo("id\tprefix\trole\tscope\tlabel\tcreated_at\trevoked_at")
        for r in rows:
            scope = (
                f"rcc {r.rcc_id}" if r.rcc_id else f"la {r.la_id}" if r.la_id else
                f"provider {r.provider_id}" if r.provider_id else "-"
            )  # fmt: skip
            revoked = f"{r.revoked_at:%Y-%m-%dT%H:%M:%S}" if r.revoked_at else "-"
            typer.echo(
                f"{r.id}\t{r.prefix}\t{r.role}\t{scope}\t{r.label or '-'}\t{r.created_at:%Y-%m-%dT%H:%M:%S}\t{revoked}"
            )


user_app = typer.Typer(
    help="People who sign in to the web pages (same roles as API keys).", no_args_is_help=True
)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="the person's email address (their sign-in name)")],
    role: Annotated[str, typer.Option(help="admin | rcc_commissioner | la_officer | provider")],
    name: Annotated[str | None, typer.Option(help="name shown on pages (default: the email)")] = None,
    rcc: Annotated[str | None, typer.Option(help="RCC id or name (rcc_commissioner)")] = None,
    la: Annotated[str | None, typer.Option(help="LA GSS or DfE code (la_officer)")] = None,
    provider: Annotated[int | None, typer.Option(help="provider id (provider)")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
    oidc_issuer: Annotated[
        str | None, typer.Option(help="single sign-on: the identity provider's issuer")
    ] = None,
    oidc_subject: Annotated[
        str | None, typer.Option(help="single sign-on: the person's subject (Entra: oid)")
    ] = None,
) -> None:
    """Create a user; asks for the password (at least 12 characters) unless it signs in by OIDC only."""
    from rcc.web.users import create_account

    password: str | None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif oidc_subject:
        password = None
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_account(
            _factory(), email, name or email, role, password, rcc=rcc, la=la, provider=provider,
            oidc_issuer=oidc_issuer, oidc_subject=oidc_subject,
        )  # fmt: skip
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"user {user.email} created ({user.role})")


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="the user's email address")]) -> None:
    """Disable a user at once: their sessions end and they cannot sign in again."""
    from rcc.web.users import disable_account

    try:
        user = disable_account(_factory(), email)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"user {user.email} disabled")
