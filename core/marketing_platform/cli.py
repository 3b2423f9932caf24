"""``mplat``: the command-line interface.

Rich output for people, ``--json`` for programs. Exit codes: 0 everything succeeded,
1 some activation failed (or was only delivered by a fallback), 2 bad usage, bad input
or configuration (a one-line error saying what and how to fix it; never a traceback).
Adapters may contribute a command group, reachable as ``mplat NAME ...``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import InvalidContent, MarketingPlatformError
from .redaction import install_log_redaction, redact, redact_obj

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _emit_json(data: Any) -> None:
    click.echo(redact(json.dumps(redact_obj(data), indent=2, default=str)))


def _fail(exc: MarketingPlatformError, code: int = EXIT_USAGE) -> NoReturn:
    line = redact(str(exc)).replace("\n", " ")
    err.print(f"[bold red]error:[/] {escape(line)}", markup=True, highlight=False)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn framework errors raised before any activation into a one-line error, exit 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MarketingPlatformError as exc:
            _fail(exc)

    return wrapper  # type: ignore[return-value]


class PlatformCommands(click.Group):
    """The core commands plus ``mplat NAME ...`` groups contributed by adapters.

    An adapter is imported only when its group is invoked (or for ``--help``)."""

    def _platform_names(self) -> list[str]:
        from .registry import default_registry

        try:
            return [n for n in default_registry().names() if n not in self.commands]
        except Exception:
            return []

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = list(super().list_commands(ctx))
        for name in self._platform_names():
            if self.get_command(ctx, name) is not None:
                names.append(name)
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self._platform_names():
            return command
        from .registry import default_registry

        try:
            group = default_registry().adapter_class(cmd_name).cli_commands()
        except MarketingPlatformError:
            return None
        return group if isinstance(group, click.Command) else None


@click.group(cls=PlatformCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Log requests (-v) and details (-vv) to stderr.")
@click.version_option(package_name="marketing-platform", prog_name="mplat")
def main(verbose: int) -> None:
    """Publish campaigns, content and assets to marketing automation platforms."""
    install_log_redaction()
    if verbose:
        handler = logging.StreamHandler()  # records are masked when made (install_log_redaction)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("marketing_platform")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


# ----------------------------------------------------------------------- platforms
@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def platforms(as_json: bool) -> None:
    """List installed platforms, their versions, status and capabilities."""
    from .registry import default_registry

    rows = default_registry().available()
    if as_json:
        _emit_json([row.to_dict() for row in rows])
        return
    table = Table(title="Installed platforms")
    for column in ("name", "distribution", "version", "status", "capabilities / error"):
        table.add_column(column)
    for row in rows:
        status = "[green]ok[/]" if row.status == "ok" else f"[red]{row.status}[/]"
        detail = ", ".join(row.capabilities) if row.status == "ok" else (row.error or "")
        cells = (row.name, row.distribution or "", row.version or "")
        table.add_row(*map(escape, cells), status, escape(detail))
    out.print(table)


# --------------------------------------------------------------------------- check
@main.command()
@click.option("--platform", "-p", "platform_name", help="Platform to check (default: MARKETING_PLATFORM).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def check(platform_name: str | None, as_json: bool) -> None:
    """Verify credentials and connectivity (read-only: changes nothing)."""
    from . import create_platform

    with create_platform(platform_name) as platform:
        try:
            result = platform.check()
        except MarketingPlatformError as exc:
            if as_json:
                _emit_json({"platform": platform.name, "ok": False, "error": exc.to_dict()})
            _fail(exc, EXIT_FAILED)
    if as_json:
        _emit_json(result.model_dump(mode="json"))
    else:
        mark = "[green]ok[/]" if result.ok else "[red]not ok[/]"
        out.print(f"{result.platform}: {mark}")
        for key, value in result.details.items():
            out.print(f"  {escape(str(key))}: {escape(redact(str(value)))}", highlight=False)
        for warning in result.warnings:
            out.print(f"  [yellow]warning:[/] {escape(redact(warning))}")
    if not result.ok:
        sys.exit(EXIT_FAILED)


# ------------------------------------------------------------------------ activate
def _content_files(paths: Sequence[Path]) -> Iterator[Path]:
    from .contentfile import SUFFIXES

    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            yield path


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--platform",
    "-p",
    "platform_names",
    multiple=True,
    help="Platform(s) to activate on; repeat for several (default: MARKETING_PLATFORM).",
)
@click.option("--dry-run", is_flag=True, help="Print the exact requests; send nothing, record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--asset-root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder assets must live in (default: each content file's folder).",
)
@handle_errors
def activate(
    files: tuple[Path, ...],
    platform_names: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    asset_root: Path | None,
) -> None:
    """Activate content FILES (JSON, YAML, or Markdown with front matter; or folders of them)."""
    from .activation import Activator, Job, check_unique_ids
    from .contentfile import load_content_file
    from .registry import default_registry

    registry = default_registry()
    names = list(platform_names) or [registry.core_settings.platform]
    known = registry.names()
    paths = list(_content_files(files))
    if not paths:
        raise InvalidContent(
            f"no content files found in {', '.join(str(f) for f in files)}",
            hint="give .json, .yaml, .yml or .md files, or folders holding them",
        )
    loaded = [load_content_file(path, platform_names=known) for path in paths]

    with Activator(registry=registry) as activator:
        # Validate everything first: one bad file means nothing is sent.
        jobs = [
            Job(
                activator.prepare(item.content, activator.platform(name), asset_root or item.asset_root),
                name,
                asset_root or item.asset_root,
                str(item.path),
                prepared=True,
            )
            for item in loaded
            for name in names
        ]
        check_unique_ids(jobs)
        if dry_run:
            plans = [
                {
                    "file": job.source,
                    "content_id": job.content.id,
                    "platform": job.platform,
                    **activator.plan(job.content, job.platform, asset_root=job.asset_root),
                }
                for job in jobs
            ]
            if as_json:
                _emit_json({"dry_run": True, "plans": plans})
            else:
                for plan in plans:
                    _print_plan(plan)
            return
        all_ok = _report(activator.activate_iter, jobs, as_json)
    sys.exit(EXIT_OK if all_ok else EXIT_FAILED)


def _print_plan(plan: dict[str, Any]) -> None:
    """A dry-run plan for people: per object its action (and field diff), then the
    requests a create would send."""
    out.rule(escape(f"{plan['file']} -> {plan['platform']} (dry run: nothing sent but look-ups)"))
    for entry in plan["objects"]:
        what = entry["object"]
        if what == "files":
            for file in entry["files"]:
                out.print(f"  file {escape(file['file'])}: {file['action']}", highlight=False)
            continue
        label = entry.get("name") or entry.get("content_id") or ""
        line = f"  {what} {escape(str(label))}: {entry['action']}"
        if entry.get("reason") or entry.get("error"):
            line += f" ({escape(redact(str(entry.get('reason') or entry.get('error'))))})"
        out.print(line, highlight=False)
        for field, change in (entry.get("changes") or {}).items():
            before = redact(json.dumps(change["from"], default=str))
            after = redact(json.dumps(change["to"], default=str))
            out.print(
                f"    {escape(field)}: {escape(_clip(before))} -> {escape(_clip(after))}", highlight=False
            )
    if any(e.get("action") == "create" for e in plan["objects"] if e["object"] != "files"):
        out.print("  requests a create sends:", highlight=False)
        out.print_json(redact(json.dumps(redact_obj(plan["requests"]), default=str)))


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _report(run: Callable[..., Iterable[Any]], jobs: Sequence[Any], as_json: bool) -> bool:
    """Run ``jobs`` and report each result as it arrives: a JSON document streamed to
    stdout, or a progress bar then a summary table. True when every activation succeeded.

    Only a compact row per activation is kept, so a bulk run's memory stays flat."""
    all_ok = True
    if as_json:
        click.echo('{"activations": [')
        for index, result in enumerate(run(jobs)):
            all_ok &= result.ok
            item = redact(json.dumps(redact_obj(result.to_dict()), indent=2, default=str))
            click.echo(("," if index else "") + item)
        click.echo("]}")
        return all_ok
    rows: list[tuple[str, ...]] = []
    with _progress(len(jobs)) as advance:
        for result in run(jobs):
            all_ok &= result.ok
            rows.append(_row(result))
            advance()
    _print_rows(rows)
    return all_ok


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A transient progress bar on stderr for a bulk run (none for a single job); yields
    the function that advances it by one."""
    if total < 2:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("activating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("activate", total=total)
        yield lambda: progress.advance(task)


def _row(result: Any) -> tuple[str, ...]:
    """One summary-table row for an ActivationResult."""
    state = result.record.state
    colour = {"succeeded": "green", "degraded": "yellow", "blocked": "yellow"}.get(state, "red")
    if state == "blocked" and result.error:
        detail = str(result.error["message"])
    elif result.error:
        detail = f"{result.error['type']}: {result.error['message']}"
        if result.error.get("hint"):
            detail += f" (hint: {result.error['hint']})"
    else:
        publish = result.publish
        detail = f"{publish.action or ''} {publish.external_id or ''}".strip() if publish else ""
        if publish and publish.changed:
            detail += f" ({', '.join(publish.changed)})"
        if publish and publish.url:
            detail += f"  {publish.url}"
    record = result.record
    cells = (record.id[:12], record.content_id, record.platform)
    return (*map(escape, cells), f"[{colour}]{state}[/]", escape(redact(detail)))


def _print_rows(rows: Sequence[tuple[str, ...]]) -> None:
    table = Table(title="Activations")
    for column in ("id", "content", "platform", "state", "external id / error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    succeeded = sum("succeeded" in row[3] for row in rows)
    table.caption = f"{succeeded} of {len(rows)} succeeded"
    out.print(table)


# ----------------------------------------------------------------------- log, status
@main.command("log")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--state",
    type=click.Choice(["pending", "in_progress", "succeeded", "failed", "degraded", "blocked"]),
)
@handle_errors
def show_log(as_json: bool, limit: int, state: Any) -> None:
    """Show recent activations from the activation log, newest first."""
    from .log import ActivationLog
    from .registry import default_registry

    records = ActivationLog(default_registry().core_settings.log_path).list(limit=limit, state=state)
    if as_json:
        _emit_json([record.to_dict() for record in records])
        return
    table = Table(title="Activation log")
    for column in ("id", "content", "platform", "state", "attempts", "started", "steps"):
        table.add_column(column)
    for record in records:
        table.add_row(
            record.id[:12],
            record.content_id,
            record.platform,
            record.state,
            str(record.attempts),
            record.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            ", ".join(_step_summary(name, step) for name, step in record.steps.items()),
        )
    out.print(table)


def _step_summary(name: str, step: Any) -> str:
    """``publish: updated`` for a recorded step (its action, when recorded)."""
    action = step.get("action") if isinstance(step, dict) else None
    return f"{name}: {action}" if action else name


@main.command()
@click.argument("activation_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def status(activation_id: str, as_json: bool) -> None:
    """Show one activation's record and the platform's current status of what it published."""
    from . import create_platform
    from .log import ActivationLog
    from .registry import default_registry

    record = ActivationLog(default_registry().core_settings.log_path).get(activation_id)
    data = record.to_dict()
    publish = record.steps.get("publish") or {}
    ref = publish.get("external_id")
    if ref:
        try:
            with create_platform(record.platform) as platform:
                data["platform_status"] = platform.get_status(ref).model_dump(mode="json")
        except MarketingPlatformError as exc:
            data["platform_status"] = {"error": exc.to_dict()}
    if as_json:
        _emit_json(data)
        return
    out.print_json(redact(json.dumps(redact_obj(data), default=str)))


@main.command()
@click.argument("activation_id", required=False)
@click.option("--failed", is_flag=True, help="Replay every failed (or interrupted) activation.")
@click.option("--degraded", is_flag=True, help="Replay every activation a fallback delivered.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def replay(activation_id: str | None, failed: bool, degraded: bool, as_json: bool) -> None:
    """Resume activations from their last finished step (nothing is created twice)."""
    from .activation import Activator

    if not activation_id and not (failed or degraded):
        raise click.UsageError("give an ACTIVATION_ID, --failed or --degraded")
    with Activator() as activator:
        ids = [activation_id] if activation_id else []
        if failed:  # interrupted runs (in_progress, pending) failed too
            ids += activator.log.ids("failed", "in_progress", "pending")
        if degraded:
            ids += activator.log.ids("degraded")
        results = []
        for one in dict.fromkeys(ids):
            try:
                results.append(activator.replay(one))
            except MarketingPlatformError as exc:
                if activation_id:
                    raise
                err.print(f"[yellow]skipped {one}:[/] {escape(redact(str(exc)))}")
    if as_json:
        _emit_json({"activations": [r.to_dict() for r in results]})
    else:
        _print_rows([_row(r) for r in results])
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


@main.command("new-adapter")
@click.argument("name")
@click.option(
    "--dest",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder to create the distribution in.",
)
@handle_errors
def new_adapter(name: str, dest: Path) -> None:
    """Write a new adapter distribution skeleton (pyproject with the entry point, adapter,
    settings, mapper, conformance test) to DEST/marketing-platform-NAME."""
    from .scaffold import create_adapter

    created = create_adapter(name, dest)
    out.print(f"created {escape(str(created))}")
    out.print(f"next: pip install -e {escape(str(created))} && mplat platforms")


if __name__ == "__main__":  # pragma: no cover
    main()
