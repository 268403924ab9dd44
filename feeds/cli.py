"""The ``feeds`` command: a thin click layer over :mod:`feeds.pipeline`.

Flags in, one library call, an exit code out. Every :class:`~feeds.errors.FeedsError` becomes
one line on stderr and the exit code of its kind, in one place (:func:`_fail`).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.core import ParameterSource

from feeds import __version__
from feeds.config import Config, load_config
from feeds.errors import (
    ConfigError,
    FeedsError,
    OutputBusy,
    SeedsUnavailable,
    ServeError,
    StoreError,
    WriteError,
)
from feeds.messages import one_line
from feeds.pipeline import Report, explain, generate
from feeds.select import REASONS

EXIT_STRICT = 2  # --strict and a seed was skipped
# Exit codes by error kind (the first matching class wins); the README's table lists them.
EXIT_CODES: tuple[tuple[type[FeedsError], int, str], ...] = (
    (ConfigError, 1, "config error: "),
    (SeedsUnavailable, 1, "seeds folder unavailable: "),
    (OutputBusy, 3, ""),
    (ServeError, 4, ""),
    (WriteError, 5, ""),
    (StoreError, 6, "object store: "),
    (FeedsError, 1, ""),
)


@contextlib.contextmanager
def _fail() -> Iterator[None]:
    """Turn a FeedsError into its one line on stderr and its exit code."""
    try:
        yield
    except FeedsError as exc:
        code, prefix = next((c, p) for kind, c, p in EXIT_CODES if isinstance(exc, kind))
        _say(f"feeds: {prefix}{exc}")
        sys.exit(code)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=Path("config.yaml"),
    show_default=True,
    help="The config file; seeds and output paths are relative to it.",
)
strict_option = click.option("--strict", is_flag=True, help="Exit 2 when any seed was skipped.")
cache_option = click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Parse every seed and render every feed again, and rebuild the parse cache.",
)
jobs_option = click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes for parsing many seeds (default: one per core).",
)


def _load(config_path: Path, *, need_seeds: bool = True) -> Config:
    """The config; when no --config was given and the current folder has no config.yaml,
    the message says where feeds looked and how to point it elsewhere."""
    ctx = click.get_current_context()
    given = ctx.get_parameter_source("config_path") is not ParameterSource.DEFAULT
    if not given and not config_path.exists():
        raise ConfigError(
            f"no {config_path} in {Path.cwd()}; run feeds in the folder that holds it, "
            "or pass --config PATH"
        )
    return load_config(config_path, need_seeds=need_seeds)


def _say(line: str) -> None:
    """One line on stderr; what it quotes (file names, topic names) cannot break it."""
    click.echo(one_line(line), err=True)


def _summary(report: Report) -> None:
    rows = report.rows()
    width = max((len(row.slug) for row in rows), default=0)
    for row in rows:
        drops = ", ".join(f"{row.dropped[r]} {r}" for r in REASONS)
        state = ""
        if report.written is not None or report.kept is not None:
            state = "  written" if row.written else "  unchanged"
            if row.reused:
                state += " (not re-rendered)"
        click.echo(f"{row.slug:<{width}}  {row.count:>5} items  (dropped: {drops}){state}")
    if report.written and report.written.removed:
        click.echo(f"removed: {' '.join(report.written.removed)}")
    for note in report.notes:
        _say(f"note: {note}")
    for problem in report.problems:
        _say(problem.line_text())
    for notice in report.notices:
        _say(f"warning: {notice}")


class _ProgressBar:
    """Progress on stderr for long parses, only when a person is watching it."""

    def __call__(self, done: int, total: int) -> None:
        if total < 2000:
            return
        width = 30
        filled = width * done // total
        click.echo(
            f"\rparsing seeds [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
            err=True,
            nl=False,
        )
        if done == total:
            click.echo("", err=True)


class _WarningLines(logging.Handler):
    """What the library logs as a warning (a damaged parse cache, a hub that did not answer)
    as a one-off command's own ``warning: ...`` line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        _say(f"warning: {record.getMessage()}")


def _one_off_logging() -> None:
    """generate, check and explain print warnings as lines of their own (the daemon and the
    server log them instead, see feeds.daemon.configure_logging)."""
    logger = logging.getLogger("feeds")
    if not any(isinstance(h, _WarningLines) for h in logger.handlers):
        handler = _WarningLines(logging.WARNING)
        logger.addHandler(handler)  # and no lastResort line besides: a handler exists


def _run(config_path: Path, write: bool, no_cache: bool = False, jobs: int | None = None) -> Report:
    progress = _ProgressBar() if sys.stderr.isatty() else None
    _one_off_logging()
    with _fail():
        config = _load(config_path)
        return generate(config, write=write, use_cache=not no_cache, progress=progress, jobs=jobs)


def _finish(report: Report, strict: bool) -> None:
    _summary(report)
    if strict and report.skipped:
        click.echo(f"feeds: {len(report.skipped)} seed(s) skipped (--strict)", err=True)
        sys.exit(EXIT_STRICT)


@click.group()
@click.version_option(__version__, prog_name="feeds")
def main() -> None:
    """Turn a folder of news seed documents into per-topic Atom and RSS feeds."""


@main.command("generate")
@config_option
@strict_option
@cache_option
@jobs_option
def generate_cmd(config_path: Path, strict: bool, no_cache: bool, jobs: int | None) -> None:
    """Read the seeds and write every configured feed into the output folder."""
    _finish(_run(config_path, True, no_cache, jobs), strict)


@main.command("check")
@config_option
@strict_option
@cache_option
@jobs_option
def check_cmd(config_path: Path, strict: bool, no_cache: bool, jobs: int | None) -> None:
    """Like generate, but write no feed: validate the config and every seed."""
    _finish(_run(config_path, False, no_cache, jobs), strict)


@main.command("explain")
@click.argument("target", metavar="SEED-PATH-OR-URL")
@config_option
def explain_cmd(target: str, config_path: Path) -> None:
    """Say why one seed is or is not in each feed: `in, rank N` or `out: <reason>`.

    SEED-PATH-OR-URL is the seed's path (relative to the seeds folder, or to the file) or
    its URL. Reads through the parse cache and writes nothing.
    """
    from feeds.explain import render

    progress = _ProgressBar() if sys.stderr.isatty() else None
    _one_off_logging()
    with _fail():
        config = _load(config_path)
        explained = explain(config, target, progress=progress)
    click.echo(render(explained), nl=False)


class Address(click.ParamType):
    """``[HOST:]PORT`` (an IPv6 host in brackets); the host defaults to 127.0.0.1."""

    name = "[HOST:]PORT"

    def convert(self, value: object, param: object, ctx: object) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value  # type: ignore[return-value]
        host, sep, port = str(value).rpartition(":")
        host = host.removeprefix("[").removesuffix("]") if sep else "127.0.0.1"
        if not port.isdigit() or not 0 <= int(port) <= 65535 or (sep and not host):
            self.fail(f"expected [HOST:]PORT, e.g. 8080 or 127.0.0.1:8080, got {value!r}")
        return host, int(port)


@main.command("run")
@config_option
@click.option(
    "--serve",
    "serve_at",
    type=Address(),
    default=None,
    help="Also serve the output folder at [HOST:]PORT (as `feeds serve` does).",
)
def run_cmd(config_path: Path, serve_at: tuple[str, int] | None) -> None:
    """Keep the output folder current: regenerate on the configured schedule.

    SIGHUP reloads the config; SIGTERM or Ctrl-C stops cleanly. With --serve, one process
    runs a whole feed site: the daemon and the server.
    """
    from feeds.daemon import Daemon, configure_logging

    with _fail():
        config = _load(config_path)
        configure_logging()
        code = Daemon(config_path, config).run(serve_at)
    sys.exit(code)


@main.command("serve")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="The port to listen on; 0 picks a free one (the start line names it).",
)
def serve_cmd(config_path: Path, host: str, port: int) -> None:
    """Serve the output folder over HTTP until SIGTERM or Ctrl-C; the private feeds too,
    under /private/$FEEDS_PRIVATE_TOKEN/, when that token is set.

    Only reads: it takes no lock, so generate and run can write beside it.
    """
    from feeds import serve
    from feeds.daemon import configure_logging

    with _fail():
        config = _load(config_path, need_seeds=False)
        app, extra = serve.app_for(config)
        configure_logging()

        def ready(url: str) -> None:
            click.echo(f"serving {config.output} at {url}{extra}")

        code = serve.serve(app, host, port, ready=ready)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
