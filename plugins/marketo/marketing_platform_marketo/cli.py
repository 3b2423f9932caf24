"""``mplat marketo ...``: the Marketo adapter's own commands.

``templates list [--status approved|draft] [--json]``, ``templates create NAME --file
T.html [--folder F] [--description D] [--approve]``, ``templates approve NAME_OR_ID``.

Commands build the adapter with :func:`marketing_platform.create_platform` (settings from
``MARKETO_*``), unless the caller put a factory in ``ctx.obj["marketo_factory"]``
(tests, embedding apps). Errors print their message and hint and exit with code 1
(2 for configuration problems).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from marketing_platform.errors import ConfigurationError, MarketingPlatformError

if TYPE_CHECKING:
    from .platform import EmailTemplate, MarketoPlatform

Factory = Callable[[], "MarketoPlatform"]


def _default_factory() -> MarketoPlatform:
    from marketing_platform import create_platform

    from .platform import MarketoPlatform

    platform = create_platform("marketo")
    if not isinstance(platform, MarketoPlatform):  # another distribution claims the name
        raise ConfigurationError("the 'marketo' platform is not marketing-platform-marketo")
    return platform


@contextmanager
def _adapter(ctx: click.Context) -> Iterator[MarketoPlatform]:
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    factory: Factory = obj.get("marketo_factory", _default_factory)
    try:
        platform = factory()
    except MarketingPlatformError as exc:
        _fail(exc)
    try:
        yield platform
    except MarketingPlatformError as exc:
        _fail(exc)
    finally:
        platform.close()


def _fail(exc: MarketingPlatformError) -> NoReturn:
    click.echo(f"Error: {exc}", err=True)
    raise SystemExit(2 if isinstance(exc, ConfigurationError) else 1)


def _emit(templates: list[EmailTemplate], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([asdict(t) for t in templates], indent=2))
        return
    for t in templates:
        click.echo(f"{t.id}\t{t.status or '-'}\t{t.name}")


@click.group(name="marketo")
def marketo() -> None:
    """Marketo Engage commands (settings from MARKETO_BASE_URL, MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET)."""


@marketo.group()
def templates() -> None:
    """Email templates: list, create, approve."""


@templates.command(name="list")
@click.option("--status", type=click.Choice(["approved", "draft"]), default=None, help="Only this version.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_templates(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List the instance's email templates (id, status, name)."""
    with _adapter(ctx) as platform:
        _emit(platform.list_email_templates(status=status), as_json)


@templates.command(name="create")
@click.argument("name")
@click.option(
    "--file",
    "html_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The template's HTML.",
)
@click.option("--folder", default=None, help="Design Studio folder (default MARKETO_TEMPLATE_FOLDER).")
@click.option("--description", default=None)
@click.option("--approve", is_flag=True, help="Approve the template after creating it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def create_template(  # noqa: PLR0917 (click passes options positionally)
    ctx: click.Context,
    name: str,
    html_file: Path,
    folder: str | None,
    description: str | None,
    approve: bool,
    as_json: bool,
) -> None:
    """Create email template NAME from an HTML file (reuses an existing one of that name)."""
    with _adapter(ctx) as platform:
        template = platform.create_email_template(name, html_file, folder=folder, description=description)
        if approve and template.status != "approved":
            template = platform.approve_email_template(template.id)
        _emit([template], as_json)


@templates.command(name="approve")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def approve_template(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Approve the draft of the email template REF (its id or name)."""
    with _adapter(ctx) as platform:
        _emit([platform.approve_email_template(ref)], as_json)
