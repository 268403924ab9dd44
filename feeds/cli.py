"""The ``feeds`` command: a thin click layer over :mod:`feeds.pipeline`.

Exit codes: 0 success, 1 unusable config or seeds folder (nothing written), 2 with
``--strict`` when any seed was skipped, 3 when another feeds process writes the same output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from feeds import __version__
from feeds.config import Config, ConfigError, load_config
from feeds.lock import OutputBusy
from feeds.pipeline import Report, generate
from feeds.seeds import SeedsUnavailable
from feeds.select import REASONS

EXIT_CONFIG = 1  # also: the seeds folder cannot be read
EXIT_STRICT = 2
EXIT_BUSY = 3

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), default=Path("config.yaml"),
    show_default=True, help="The config file; seeds and output paths are relative to it.")
strict_option = click.option(
    "--strict", is_flag=True, help="Exit 2 when any seed was skipped.")
cache_option = click.option(
    "--no-cache", "no_cache", is_flag=True,
    help="Parse every seed again, ignoring (and not updating) the parse cache.")
jobs_option = click.option(
    "--jobs", type=click.IntRange(1, 256), default=None,
    help="Processes for parsing many seeds (default: one per core).")


def _load(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"feeds: config error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)


def _summary(report: Report) -> None:
    width = max((len(s.feed.slug) for s in report.selections), default=0)
    written = set(report.written.written) if report.written else set()
    for sel, rendered in zip(report.selections, report.rendered, strict=True):
        drops = ", ".join(f"{sel.dropped[r]} {r}" for r in REASONS)
        state = ""
        if report.written is not None:
            state = "  written" if written & set(rendered.files) else "  unchanged"
            if rendered.reused:
                state += " (not re-rendered)"
        click.echo(f"{sel.feed.slug:<{width}}  {len(sel.items):>5} items  (dropped: {drops})"
                   f"{state}")
    if report.written and report.written.removed:
        click.echo(f"removed: {' '.join(report.written.removed)}")
    for problem in report.problems:
        label = "skipped" if problem.severity == "error" else "warning"
        click.echo(f"{label}: {problem}", err=True)


class _ProgressBar:
    """Progress on stderr for long parses, only when a person is watching it."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < 2000:
            return
        width = 30
        filled = width * done // total
        click.echo(f"\rparsing seeds [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                   err=True, nl=False)
        self.shown = True
        if done == total:
            click.echo("", err=True)


def _run(config: Config, write: bool, no_cache: bool = False,
         jobs: int | None = None) -> Report:
    progress = _ProgressBar() if sys.stderr.isatty() else None
    try:
        return generate(config, write=write, use_cache=not no_cache, progress=progress,
                        jobs=jobs)
    except SeedsUnavailable as exc:
        click.echo(f"feeds: seeds folder unavailable: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except OutputBusy as exc:
        click.echo(f"feeds: {exc}", err=True)
        sys.exit(EXIT_BUSY)


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
    _finish(_run(_load(config_path), True, no_cache, jobs), strict)


@main.command("check")
@config_option
@strict_option
@cache_option
@jobs_option
def check_cmd(config_path: Path, strict: bool, no_cache: bool, jobs: int | None) -> None:
    """Like generate, but write no feed: validate the config and every seed."""
    _finish(_run(_load(config_path), False, no_cache, jobs), strict)


@main.command("run")
@config_option
def run_cmd(config_path: Path) -> None:
    """Keep the output folder current: regenerate on the configured schedule.

    SIGHUP reloads the config; SIGTERM or Ctrl-C stops cleanly.
    """
    from feeds.daemon import Daemon, configure_logging

    config = _load(config_path)
    configure_logging()
    try:
        sys.exit(Daemon(config_path, config).run())
    except OutputBusy as exc:
        click.echo(f"feeds: {exc}", err=True)
        sys.exit(EXIT_BUSY)


if __name__ == "__main__":  # pragma: no cover
    main()
