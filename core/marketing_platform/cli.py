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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import ConfigurationError, InvalidContent, MarketingPlatformError
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


def _complete_platforms(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion: installed platform names."""
    from .registry import default_registry

    try:
        return [name for name in default_registry().names() if name.startswith(incomplete)]
    except Exception:
        return []


def _complete_activations(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion: recent activation ids."""
    try:
        with _open_log() as log:
            records = log.list(limit=50)
    except Exception:
        return []
    return [r.id for r in records if r.id.startswith(incomplete)]


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
@click.option(
    "--platform",
    "-p",
    "platform_name",
    shell_complete=_complete_platforms,
    help="Platform to check (default: MARKETING_PLATFORM).",
)
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
        table = Table(title=f"{escape(result.platform)}: {mark}", show_header=False, title_justify="left")
        table.add_column("what", no_wrap=True)
        table.add_column("value", overflow="fold")
        for key, value in result.details.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else _plain(value)
            table.add_row(escape(str(key)), escape(redact(shown)))
        out.print(table)
        for warning in result.warnings:
            out.print(f"  [yellow]warning:[/] {escape(redact(warning))}")
    if not result.ok:
        sys.exit(EXIT_FAILED)


def _open_log() -> Any:
    """The configured activation log (SQLite file or PostgreSQL), to use in ``with``."""
    from .log import open_activation_log
    from .registry import default_registry

    settings = default_registry().core_settings
    return open_activation_log(settings.log_location, lease_seconds=settings.lease_seconds)


def _plain(value: Any) -> str:
    """A detail value for people: mappings as ``key=value`` pairs, not a Python repr."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items()) or "-"
    if value is None:
        return "-"
    return str(value)


# ------------------------------------------------------------------------ activate
PLATFORM_OPTION = click.option(
    "--platform",
    "-p",
    "platform_names",
    multiple=True,
    shell_complete=_complete_platforms,
    help="Platform(s) to use; repeat for several (default: MARKETING_PLATFORM).",
)
ROUTE_OPTION = click.option(
    "--route",
    "routes",
    multiple=True,
    metavar="KIND=PLATFORM",
    help="Send contents of KIND to PLATFORM (repeatable; adds to MARKETING_PLATFORM_ROUTES).",
)
EXCLUDE_OPTION = click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB in folders (repeatable)."
)
ASSET_ROOT_OPTION = click.option(
    "--asset-root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder assets must live in (default: each content file's folder).",
)


def _batch_options(command: F) -> F:
    """The arguments every command taking a batch of content files shares: FILES,
    ``--platform``, ``--route``, ``--exclude`` and ``--asset-root``."""
    for option in reversed(
        (
            click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path)),
            PLATFORM_OPTION,
            ROUTE_OPTION,
            EXCLUDE_OPTION,
            ASSET_ROOT_OPTION,
        )
    ):
        command = option(command)
    return command


def _batch(
    activator: Any,
    *,
    files: Sequence[Path],
    platform_names: Sequence[str],
    routes: Sequence[str],
    exclude: Sequence[str],
    asset_root: Path | None,
) -> Any:
    """Every file read and validated for its platform(s), every problem collected."""
    import os

    from .batch import content_paths, parse_routes, prepare_batch, router

    settings = activator.registry.core_settings
    table = parse_routes(
        [os.environ.get("MARKETING_PLATFORM_ROUTES", "")], source="MARKETING_PLATFORM_ROUTES"
    )
    table.update(parse_routes(routes, source="--route"))
    paths = content_paths(files, exclude=exclude)
    if not paths:
        raise InvalidContent(
            f"no content files found in {', '.join(str(f) for f in files)}",
            hint="give .json, .yaml, .yml or .md files, or folders holding them",
        )
    return prepare_batch(
        activator, paths, router(list(platform_names) or [settings.platform], table), asset_root=asset_root
    )


def _print_rejections(rejections: Sequence[Any], total_files: int) -> None:
    """Every problem of every refused file on stderr, one line each (``error: file:
    field: what is wrong; how to fix``), grouped by file; a count closes a longer list."""
    lines = [line for rejection in rejections for line in rejection.lines()]
    tail = "; nothing was sent" if len(lines) == 1 else ""
    for line in lines:
        err.print(f"[bold red]error:[/] {escape(redact(line))}{tail}", highlight=False, soft_wrap=True)
    if len(lines) > 1:
        files = len({r.source for r in rejections})
        err.print(
            f"{len(lines)} problems in {files} of {total_files} file(s); nothing was sent", highlight=False
        )


@main.command()
@_batch_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def validate(
    *,
    files: tuple[Path, ...],
    platform_names: tuple[str, ...],
    routes: tuple[str, ...],
    exclude: tuple[str, ...],
    asset_root: Path | None,
    as_json: bool,
) -> None:
    """Report every problem in every content file (FILES or folders) for the platform(s);
    send nothing. Exit 2 if any file has a problem."""
    from .activation import Activator

    with Activator() as activator:
        batch = _batch(
            activator,
            files=files,
            platform_names=platform_names,
            routes=routes,
            exclude=exclude,
            asset_root=asset_root,
        )
    total = len({j.source for j in batch.jobs} | {r.source for r in batch.rejections})
    if as_json:
        _emit_json(
            {
                "valid": [
                    {"file": j.source, "content_id": j.content.id, "platform": j.platform} for j in batch.jobs
                ],
                "rejected": [r.to_dict() for r in batch.rejections],
            }
        )
    elif not batch.rejections:
        out.print(f"{total} file(s) valid for {', '.join(sorted({j.platform for j in batch.jobs}))}")
    if batch.rejections:
        if not as_json:
            _print_rejections(batch.rejections, total)
        sys.exit(EXIT_USAGE)


@main.command()
@_batch_options
@click.option("--dry-run", is_flag=True, help="Show what would change (look-ups only); write nothing.")
@click.option(
    "--keep-going", is_flag=True, help="Activate the valid files and report the others as rejected (exit 1)."
)
@click.option(
    "--enqueue",
    is_flag=True,
    help="Record and hand the activations to the workers (mplat worker); print their ids.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def activate(
    *,
    files: tuple[Path, ...],
    platform_names: tuple[str, ...],
    routes: tuple[str, ...],
    exclude: tuple[str, ...],
    asset_root: Path | None,
    dry_run: bool,
    keep_going: bool,
    enqueue: bool,
    as_json: bool,
) -> None:
    """Activate content FILES (JSON, YAML, or Markdown with front matter; or folders of them).

    Every file is validated first: a bad batch is refused with every problem listed and
    nothing sent (unless --keep-going). Ctrl-C starts nothing new, lets running
    activations finish and prints how to resume."""
    from .activation import Activator

    with Activator() as activator:
        batch = _batch(
            activator,
            files=files,
            platform_names=platform_names,
            routes=routes,
            exclude=exclude,
            asset_root=asset_root,
        )
        total = len({j.source for j in batch.jobs} | {r.source for r in batch.rejections})
        if batch.rejections and not keep_going:
            _print_rejections(batch.rejections, total)
            sys.exit(EXIT_USAGE)
        if dry_run:
            plans = [
                {
                    "file": job.source,
                    "content_id": job.content.id,
                    "platform": job.platform,
                    **activator.plan(job.content, job.platform, asset_root=job.asset_root),
                }
                for job in batch.jobs
            ]
            if as_json:
                _emit_json(
                    {"dry_run": True, "plans": plans, "rejected": [r.to_dict() for r in batch.rejections]}
                )
            else:
                for plan in plans:
                    _print_plan(plan)
                if batch.rejections:
                    _print_rejections(batch.rejections, total)
            return
        if enqueue:
            _enqueue(activator, batch.jobs, as_json)
            sys.exit(EXIT_FAILED if batch.rejections else EXIT_OK)
        from .interrupt import GracefulStop

        with GracefulStop() as stop:
            all_ok = _report(activator, batch.jobs, as_json, stop, batch.rejections)
        if stop.signal is not None:
            _print_interrupted(activator, stop, batch.jobs)
            sys.exit(stop.exit_code)
    sys.exit(EXIT_OK if all_ok and not batch.rejections else EXIT_FAILED)


def _enqueue(activator: Any, jobs: Sequence[Any], as_json: bool) -> None:
    """Record every job ``pending`` and enqueue its task; print the ids at once."""
    from .worker import enqueue, make_app

    ids = enqueue(activator, jobs, make_app())
    if as_json:
        _emit_json(
            {
                "enqueued": [
                    {"id": i, "content_id": j.content.id, "platform": j.platform}
                    for i, j in zip(ids, jobs, strict=True)
                ]
            }
        )
        return
    for activation_id, job in zip(ids, jobs, strict=True):
        _say(f"{activation_id}  [cyan]enqueued[/]  {escape(job.content.id)} on {escape(job.platform)}")
    out.print(f"{len(ids)} activation(s) enqueued; follow them with `mplat log`", highlight=False)


def _print_interrupted(activator: Any, stop: Any, jobs: Sequence[Any]) -> None:
    """After Ctrl-C / SIGTERM: what finished, what failed, what never started (now
    recorded ``pending``), and the command that resumes the rest."""
    pending = stop.not_started
    for job in pending:  # recorded so `replay --failed` picks them up
        activator.log.start(
            content_id=job.content.id,
            platform=job.platform,
            content=job.content.model_dump(mode="json"),
            source=job.source,
        )
    err.print(
        f"interrupted: {stop.done} done, {stop.failed} failed, {len(pending)} not started (of {len(jobs)})",
        highlight=False,
    )
    if stop.failed or pending:
        err.print("resume the rest with: mplat replay --failed", highlight=False)


def _print_plan(plan: dict[str, Any]) -> None:
    """A dry-run plan for people: per object its action (and field diff), then the
    requests a create would send."""
    out.print(f"{plan['file']} -> {plan['platform']} (dry run: nothing sent but look-ups)", highlight=False)
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
            out.print(f"    {escape(field)}: {escape(_difference(before, after))}", highlight=False)
    if any(e.get("action") == "create" for e in plan["objects"] if e["object"] != "files"):
        out.print("  requests a create sends:", highlight=False)
        out.print_json(redact(json.dumps(redact_obj(plan["requests"]), default=str)))


def _difference(before: str, after: str, width: int = 36) -> str:
    """``before -> after``, each cut to the part around where they first differ."""
    start = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), None)
    if start is None:
        start = min(len(before), len(after))
    start = max(0, start - width // 3)

    def part(text: str) -> str:
        piece = text[start : start + width]
        return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")

    return f"{part(before)} -> {part(after)}"


def _report(
    activator: Any, jobs: Sequence[Any], as_json: bool, stop: Any, rejections: Sequence[Any] = ()
) -> bool:
    """Run ``jobs`` and report each result as it arrives: a JSON document streamed to
    stdout, or a progress bar then one block per activation. True when every
    activation succeeded. Stops starting new ones once ``stop`` is set.

    Only a compact summary per activation is kept, so a bulk run's memory stays flat."""
    all_ok = True
    results = activator.activate_iter(jobs, should_stop=stop.is_set, on_skip=stop.skipped)
    if as_json:
        click.echo('{"activations": [')
        for index, result in enumerate(results):
            all_ok &= result.ok
            stop.count(result)
            item = redact(json.dumps(redact_obj(result.to_dict()), indent=2, default=str))
            click.echo(("," if index else "") + item)
        click.echo("],")
        click.echo('"rejected": ' + redact(json.dumps(redact_obj([r.to_dict() for r in rejections]))) + "}")
        return all_ok
    blocks: list[list[str]] = []
    with _progress(len(jobs)) as advance:
        for result in results:
            all_ok &= result.ok
            stop.count(result)
            blocks.append(_block(result))
            advance()
    blocks += [_rejected_block(r) for r in rejections]
    _print_blocks(blocks, "activations", stop.done)
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


_COLOURS = {"succeeded": "green", "degraded": "yellow", "blocked": "yellow", "rejected": "red"}


def _block(result: Any) -> list[str]:
    """One activation for people: a headline (id, state, content, platform, action),
    then indented lines (URL, error and hint, warnings). Lines are never cut: a long URL
    is its own line, so a narrow terminal wraps it whole and a pipe keeps it intact."""
    record = result.record
    state = record.state
    colour = _COLOURS.get(state, "red")
    publish = result.publish
    action = f" {publish.action}" if publish is not None and publish.action and not result.error else ""
    changed = f" ({', '.join(publish.changed)})" if publish is not None and publish.changed else ""
    head = (
        f"{record.id[:12]}  [{colour}]{state}[/]{escape(action + changed)}  "
        f"{escape(record.content_id)} on {escape(record.platform)}"
    )
    lines = [head]
    if result.error:
        lines.append(f"    {escape(redact(str(result.error['message'])))}")
        if result.error.get("hint") and state != "blocked":
            lines.append(f"    hint: {escape(redact(str(result.error['hint'])))}")
    elif publish is not None and publish.url:
        lines.append(f"    {escape(publish.url)}")
    for step in (result.assets, result.campaign, publish):
        for warning in step.warnings if step is not None else []:
            lines.append(f"    [yellow]warning:[/] {escape(redact(warning))}")
    return lines


def _rejected_block(rejection: Any) -> list[str]:
    where = f"{rejection.source}" + (f" on {rejection.platform}" if rejection.platform else "")
    lines = [f"{'-' * 12}  [red]rejected[/]  {escape(where)}"]
    lines += [f"    {escape(redact(str(problem)))}" for problem in rejection.problems]
    return lines


def _say(line: str, console: Console | None = None) -> None:
    """Print a markup ``line`` wrapped at the console's width (80 in a pipe) at word
    boundaries, continuation lines indented like the first: a word longer than the line
    (a URL, an id) is never cut or folded, it stands whole on its own line."""
    import textwrap

    from rich.text import Text

    console = console or out
    text = Text.from_markup(line)
    plain = text.plain
    indent = len(plain) - len(plain.lstrip(" "))
    wrapper = textwrap.TextWrapper(
        width=max(console.width - indent, 20),
        break_long_words=False,
        break_on_hyphens=False,
        replace_whitespace=False,
    )
    position = indent
    for piece in wrapper.wrap(plain[indent:]) or [""]:
        start = plain.find(piece, position)
        position = start + len(piece)
        console.print(Text(" " * indent) + text[start:position], highlight=False, soft_wrap=True)


def _print_blocks(blocks: Sequence[list[str]], what: str, succeeded: int) -> None:
    for block in blocks:
        for line in block:
            _say(line)
    out.print(f"{succeeded} of {len(blocks)} {what} succeeded", highlight=False)


# ----------------------------------------------------------------------- log, status
def _since(value: str | None) -> Any:
    """``--since``: an ISO date/time (UTC if no zone) or an age like ``30m``, ``2h``, ``7d``."""
    from datetime import UTC, datetime, timedelta

    if value is None:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[:-1].isdigit() and value[-1:] in units:
        try:
            return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
        except OverflowError:
            raise click.BadParameter(
                f"{value!r} reaches before the year 1; give a shorter age like 30d", param_hint="--since"
            ) from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time; write it like 2026-12-01, 2026-12-01T09:00:00Z or 2h",
            param_hint="--since",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@main.command("log")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--state",
    type=click.Choice(["pending", "in_progress", "succeeded", "failed", "degraded", "blocked", "abandoned"]),
)
@click.option(
    "--platform", "-p", "platform_name", shell_complete=_complete_platforms, help="Only this platform."
)
@click.option("--content", "content_id", help="Only this content id.")
@click.option("--since", help="Only activations started since (2026-12-01, 2026-12-01T09:00Z, 2h, 7d).")
@handle_errors
def show_log(
    *,
    as_json: bool,
    limit: int,
    state: Any,
    platform_name: str | None,
    content_id: str | None,
    since: str | None,
) -> None:
    """Show recent activations from the activation log, newest first."""

    with _open_log() as log:
        records = log.list(
            limit=limit, state=state, platform=platform_name, content_id=content_id, since=_since(since)
        )
    if as_json:
        _emit_json([record.to_dict() for record in records])
        return
    if not records:
        out.print("no activations match", highlight=False)
        return
    for record in records:
        for line in _record_lines(record):
            _say(line)


def _record_lines(record: Any) -> list[str]:
    """One log record for people: headline (id, state, started, content, platform), the
    steps with their actions, and the error. Never cut: each part is its own line."""
    colour = _COLOURS.get(record.state, "red")
    lines = [
        f"{record.id[:12]}  [{colour}]{record.state}[/]  {record.started_at:%Y-%m-%d %H:%M}  "
        f"{escape(record.content_id)} on {escape(record.platform)}"
    ]
    steps = ", ".join(_step_summary(name, step) for name, step in record.steps.items())
    if steps:
        lines.append(
            f"    steps: {escape(steps)}" + (f" (attempts: {record.attempts})" if record.attempts > 1 else "")
        )
    if record.error:
        lines.append(f"    {escape(redact(str(record.error.get('message'))))}")
    return lines


def _step_summary(name: str, step: Any) -> str:
    """``publish: updated`` for a recorded step (its action, when recorded)."""
    action = step.get("action") if isinstance(step, dict) else None
    return f"{name}: {action}" if action else name


@main.command()
@click.argument("activation_id", shell_complete=_complete_activations)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def status(activation_id: str, as_json: bool) -> None:
    """Show one activation's record and the platform's current status of what it published."""
    from . import create_platform

    with _open_log() as log:
        record = log.get(activation_id)
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
    lines = [f"activation {record.id}", *_record_lines(record)[1:]]
    lines.insert(
        1, f"    state: {record.state}; content {escape(record.content_id)} on {escape(record.platform)}"
    )
    if record.source:
        lines.append(f"    source: {escape(record.source)}")
    for name, step in record.steps.items():
        if isinstance(step, dict) and (step.get("external_id") or step.get("url")):
            where = " ".join(str(step.get(k)) for k in ("external_id", "url") if step.get(k))
            lines.append(f"    {name}: {escape(where)}")
    platform_status = data.get("platform_status")
    if isinstance(platform_status, dict):
        if "error" in platform_status:
            lines.append(
                f"    on the platform now: unknown ({escape(redact(platform_status['error']['message']))})"
            )
        else:
            lines.append(f"    on the platform now: {escape(str(platform_status.get('status')))}")
    for line in lines:
        _say(redact(line))


@main.command()
@click.argument("activation_id", required=False, shell_complete=_complete_activations)
@click.option("--failed", is_flag=True, help="Replay every failed (or interrupted) activation.")
@click.option("--degraded", is_flag=True, help="Replay every activation a fallback delivered.")
@click.option(
    "--stale", is_flag=True, help="Replay unfinished activations whose worker died (lease expired)."
)
@click.option("--reload", is_flag=True, help="Read the content again from its (fixed) source file.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def replay(
    *, activation_id: str | None, failed: bool, degraded: bool, stale: bool, reload: bool, as_json: bool
) -> None:
    """Resume activations from their last finished step (nothing is created twice)."""
    from .activation import Activator

    if not activation_id and not (failed or degraded or stale):
        raise click.UsageError("give an ACTIVATION_ID, --failed, --degraded or --stale")
    if activation_id and (failed or degraded or stale):
        raise click.UsageError("give an ACTIVATION_ID or --failed / --degraded / --stale, not both")
    with Activator() as activator:
        ids = [activation_id] if activation_id else []
        if failed:  # interrupted runs (in_progress, pending) failed too
            ids += activator.log.ids("failed", "in_progress", "pending")
        if degraded:
            ids += activator.log.ids("degraded")
        if stale:
            ids += activator.stale()
        results = []
        skipped = 0
        for one in dict.fromkeys(ids):
            try:
                results.append(activator.replay(one, reload=reload))
            except MarketingPlatformError as exc:
                if activation_id:
                    raise
                skipped += 1
                err.print(f"[yellow]skipped {one}:[/] {escape(redact(str(exc)))}")
    if as_json:
        _emit_json({"activations": [r.to_dict() for r in results]})
    else:
        blocks = [_block(r) for r in results]
        _print_blocks(blocks, "replays", sum(r.ok for r in results))
    sys.exit(EXIT_OK if all(r.ok for r in results) and not skipped else EXIT_FAILED)


@main.command()
@click.argument("activation_id", shell_complete=_complete_activations)
@handle_errors
def abandon(activation_id: str) -> None:
    """Give up a failed or unfinished activation: kept in the log as ``abandoned``,
    skipped by ``replay --failed`` and ``--stale``."""
    from .activation import Activator

    with Activator() as activator:
        record = activator.abandon(activation_id)
    _say(f"{record.id[:12]}  [yellow]abandoned[/]  {escape(record.content_id)} on {escape(record.platform)}")


@main.command()
@click.option("--concurrency", "-c", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--loglevel", default="info", show_default=True)
@click.option("--hostname", "-n", help="The worker's node name (default: celery@HOST).")
@click.option("--metrics-port", type=click.IntRange(min=1, max=65535), help="Serve Prometheus metrics.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address the metrics listen on.")
@click.option(
    "--visibility-timeout",
    type=click.FloatRange(min=1),
    help="Seconds before a dead worker's unacknowledged task is delivered again (Redis broker; "
    "default the broker's, 1 h; keep it above the longest schedule_at delay).",
)
@handle_errors
def worker(
    *,
    concurrency: int,
    loglevel: str,
    hostname: str | None,
    metrics_port: int | None,
    metrics_host: str,
    visibility_timeout: float | None,
) -> None:
    """Run a Celery worker that runs enqueued activations (broker: MARKETING_PLATFORM_BROKER).

    Start one on each machine; they share the activation log (MARKETING_PLATFORM_LOG,
    PostgreSQL across machines) and, with MARKETING_PLATFORM_RATE_STORE=redis://..., the
    vendors' rate budgets."""
    from .worker import make_app, worker_argv

    app = make_app(visibility_timeout=visibility_timeout)
    if metrics_port is not None:
        _serve_metrics(metrics_host, metrics_port)
    app.worker_main(list(worker_argv(concurrency=concurrency, loglevel=loglevel, hostname=hostname)))


def _serve_metrics(host: str, port: int) -> None:
    """Expose the OpenTelemetry metrics in the Prometheus format on ``host:port``."""
    try:
        from opentelemetry import metrics
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from opentelemetry.sdk.metrics import MeterProvider
        from prometheus_client import start_http_server
    except ImportError:
        raise ConfigurationError(
            "serving metrics needs the OpenTelemetry SDK and Prometheus exporter",
            code="metrics",
            hint='pip install "marketing-platform[celery]"',
        ) from None
    provider = MeterProvider(metric_readers=[PrometheusMetricReader()])
    metrics.set_meter_provider(provider)
    if metrics.get_meter_provider() is not provider:  # OpenTelemetry keeps the first one set
        raise ConfigurationError(
            "a meter provider is already configured (e.g. by opentelemetry-instrument), so "
            "--metrics-port cannot serve the metrics",
            code="metrics",
            hint="export the metrics through the configured provider, or drop --metrics-port",
        )
    start_http_server(port, addr=host)


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
