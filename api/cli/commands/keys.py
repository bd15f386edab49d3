"""``firstset keys create|list|revoke``: API keys for the HTTP service, stored hashed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from api.auth import KeyStore, Role
from api.cli.common import JsonOpt, console, emit_json, fail, guarded
from api.settings import Settings
from graph.model import Clearance

__all__ = ["register"]

keys_app = typer.Typer(help="API 密钥 / API keys for the HTTP service.", no_args_is_help=True)


def _store() -> KeyStore:
    settings = Settings()
    return KeyStore(settings.keys_file, secret=settings.secret_key)


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="viewer | editor | admin")] = Role.VIEWER,
    clearance: Annotated[
        Clearance, typer.Option(help="public | restricted | secret")
    ] = Clearance.PUBLIC,
    label: Annotated[str, typer.Option(help="who or what the key is for / 用途")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Make a key and print it once; only its hash is kept. 创建密钥（仅显示一次）"""
    with guarded(as_json):
        made = _store().create(role=role.value, clearance=clearance.value, label=label)
    if as_json:
        emit_json(
            {"key": made.key, **{k: v for k, v in asdict(made.record).items() if k != "hash"}}
        )
        return
    console.print(
        f"[bold]新密钥 / new key[/] (仅显示一次 / shown once): role={made.record.role} "
        f"clearance={made.record.clearance} id={made.record.id}"
    )
    typer.echo(made.key)


@keys_app.command("list")
def list_keys(as_json: JsonOpt = False) -> None:
    """List keys (ids, roles, clearances; never the keys). 列出密钥"""
    rows = [{k: v for k, v in asdict(r).items() if k != "hash"} for r in _store().list()]
    if as_json:
        emit_json({"keys": rows})
        return
    for r in rows:
        typer.echo(f"{r['id']}\t{r['role']}\t{r['clearance']}\t{r['created']}\t{r['label']}")


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="key id")], as_json: JsonOpt = False) -> None:
    """Revoke a key by its id. 吊销密钥"""
    if not _store().revoke(key_id):
        raise fail(f"no key with id {key_id!r}", as_json=as_json)
    if as_json:
        emit_json({"revoked": key_id})
    else:
        typer.echo(f"revoked {key_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
