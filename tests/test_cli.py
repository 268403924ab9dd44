"""The ``feeds`` command through click's CliRunner, and once as a real subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import main
from tests.helpers import Project, snapshot


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_generate_prints_one_line_per_feed_with_drop_reasons(shipped: Path) -> None:
    result = run("generate", "--config", str(shipped))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == [
        "ai",
        "machine-learning",
        "ai-in-healthcare",
        "review",
    ]
    assert lines[0].split()[1:3] == ["0", "items"]
    assert "3 low quality, 2 unpublished, 0 published, 0 future-dated" in lines[0]
    assert lines[3].split()[1] == "5" and lines[3].endswith("written")
    again = run("generate", "--config", str(shipped))
    assert all(ln.endswith("unchanged (not re-rendered)") for ln in again.stdout.splitlines())


def test_skipped_seed_is_reported_and_strict_exits_2(project: Project) -> None:
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.write_raw("sub/broken.md", "no front matter here\n")
    project.configure([{"slug": "all", "title": "All"}])
    result = run("generate", "--config", str(project.config_path))
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        f"skipped: {project.seeds / 'sub/broken.md'}:1: "
        "no front matter: the first line must be '---'"
    )
    assert (project.output / "all.atom").exists()
    strict = run("generate", "--strict", "--config", str(project.config_path))
    assert strict.exit_code == 2
    assert "1 seed(s) skipped" in strict.stderr


def test_config_error_exits_1_and_leaves_output_untouched(project: Project) -> None:
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.configure([{"slug": "all", "title": "All"}])
    assert run("generate", "--config", str(project.config_path)).exit_code == 0
    before = snapshot(project.output)
    project.configure([{"slug": "all", "title": "All", "min_quality": "high"}])
    result = run("generate", "--config", str(project.config_path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"feeds: config error: {project.config_path}: "
        "feeds[0].min_quality: expected a number, got 'high'\n"
    )
    after = snapshot(project.output)
    assert after == before


def test_missing_config_file(tmp_path: Path) -> None:
    result = run("generate", "--config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "cannot read" in result.stderr


def test_check_writes_nothing(project: Project) -> None:
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.configure([{"slug": "all", "title": "All"}])
    result = run("check", "--config", str(project.config_path))
    assert result.exit_code == 0
    assert result.stdout.split()[:3] == ["all", "1", "items"]
    assert not project.output.exists()


def test_console_script_runs_from_the_config_folder(shipped: Path) -> None:
    """As a user runs it: `feeds generate` in the folder holding config.yaml."""
    exe = Path(sys.executable).with_name("feeds")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "feeds.cli"]
    proc = subprocess.run(
        [*cmd, "generate"],
        cwd=shipped.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert (shipped.parent / "output" / "index.html").exists()
    assert (shipped.parent / ".feeds" / "private" / "review.atom").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"feeds": [{"slug": "all", "title": "All", "max_item": 3}]},
            "feeds[0].max_item: unknown key (did you mean 'max_items'?)",
        ),
        ({"feeds": [{"slug": "../escape", "title": "All"}]}, "feeds[0].slug: '../escape' is not"),
        (
            {"feeds": [{"slug": "all", "title": "All"}, {"slug": "all", "title": "Again"}]},
            "feeds[1].slug: duplicate slug 'all'",
        ),
        ({"seeds": "no-such-folder"}, "seeds: folder"),
        ({"output": "config.yaml"}, "output: "),
    ],
)
def test_config_errors_exit_1_without_touching_output(
    project: Project, change: dict, message: str
) -> None:
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.configure([{"slug": "all", "title": "All"}])
    assert run("generate", "--config", str(project.config_path)).exit_code == 0
    before = snapshot(project.output)
    project.configure(**{"feeds": [{"slug": "all", "title": "All"}], **change})
    result = run("generate", "--config", str(project.config_path))
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1
    after = snapshot(project.output)
    assert after == before


def test_generate_refuses_while_another_writer_holds_the_output(project: Project) -> None:
    from feeds.lock import WriterLock

    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.configure([{"slug": "all", "title": "All"}])
    with WriterLock(project.root / ".feeds", project.output):
        result = run("generate", "--config", str(project.config_path))
    assert result.exit_code == 3
    assert "is in use by another feeds process (pid" in result.stderr
    assert not (project.output / "all.atom").exists()


def test_missing_seeds_folder_keeps_old_feeds(project: Project) -> None:
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.configure([{"slug": "all", "title": "All"}])
    assert run("generate", "--config", str(project.config_path)).exit_code == 0
    before = snapshot(project.output)
    project.seeds.rename(project.root / "gone")
    result = run("generate", "--config", str(project.config_path))
    assert result.exit_code == 1
    assert "seeds: folder" in result.stderr
    assert snapshot(project.output) == before


def test_generate_does_not_import_the_web_server() -> None:
    """uvicorn and Starlette cost ~200 ms at start-up: only `feeds serve` may load them."""
    code = "import sys, feeds.cli; print(sorted({'uvicorn', 'starlette'} & set(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_topic_feed_notices_are_warning_lines(project: Project) -> None:
    for name, topic in [("g.md", "Ελληνικά"), ("a.md", "Café"), ("b.md", "Cafe")]:
        project.seed(name, title=name, webUrl=f"https://news.example/{name}", topics=[topic])
    project.configure([], auto_topics=True)
    result = run("generate", "--config", str(project.config_path))
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning: topic ") for w in warnings)
    assert "warning: topic 'Ελληνικά': feed slug 'ellinika' is transliterated" in warnings
    assert "warning: topic 'Café' would have the slug 'cafe', the slug of 'Cafe'" in warnings[0]
    assert [ln.split()[0] for ln in result.stdout.splitlines()][:2] == ["cafe", "cafe-95c781c8"]
    assert (project.output / "ellinika.atom").exists()


def test_a_file_name_cannot_forge_a_message_line(project: Project) -> None:
    """A seed's name is anyone's: a newline or a bidi override in it is escaped, so each
    problem is one line and --strict counts each once."""
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.write_raw("evil\nskipped: seeds/fake.md: forged.md", "no front matter\n")
    project.write_raw("\u202edm.txt", "no front matter either\n")
    project.configure([{"slug": "all", "title": "All"}])
    result = run("check", "--strict", "--config", str(project.config_path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f"skipped: {project.seeds}/evil\\nskipped: seeds/fake.md: forged.md:1: "
        "no front matter: the first line must be '---'",
        f"skipped: {project.seeds}/\\u202edm.txt:1: no front matter: the first line must be '---'",
        "feeds: 2 seed(s) skipped (--strict)",
    ]
    assert "\u202e" not in result.stderr


def test_a_config_path_cannot_forge_a_message_line(tmp_path: Path) -> None:
    folder = tmp_path / "x\nfeeds: config error: forged"
    folder.mkdir()
    (folder / "config.yaml").write_text("site: [unclosed\n", encoding="utf-8")
    result = run("check", "--config", str(folder / "config.yaml"))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "x\\nfeeds: config error: forged/config.yaml:2: YAML error" in result.stderr


TRAPS = {
    "duplicate key": (
        "feeds:\n  - slug: all\n    title: All\n    title: Again\n",
        "config.yaml:7: feeds[0].title: duplicate key (first on line 6)",
    ),
    "alias bomb": (
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(
            f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "feeds: [{slug: all, title: All}]\n",
        "config.yaml: too large after expanding aliases (over 100000 values)",
    ),
    "interval": (
        "schedule: {interval: 100000000d}\nfeeds: [{slug: all, title: All}]\n",
        "config.yaml: schedule.interval: expected a duration from 1s to 365d",
    ),
    "cron": (
        'schedule: {cron: "0 0 30 2 *"}\nfeeds: [{slug: all, title: All}]\n',
        "config.yaml: schedule.cron: never fires: '0 0 30 2 *'",
    ),
}


@pytest.mark.parametrize("command", ["check", "generate"])
@pytest.mark.parametrize("trap", TRAPS)
def test_config_traps_are_one_line_and_exit_1(project: Project, command: str, trap: str) -> None:
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    project.configure([{"slug": "all", "title": "All"}])
    assert run("generate", "--config", str(project.config_path)).exit_code == 0
    before = snapshot(project.output)
    text, message = TRAPS[trap]
    head = 'site: {title: T, url: "https://example.org/"}\nseeds: seeds\noutput: output\n'
    project.config_path.write_text(head + text, encoding="utf-8")
    result = run(command, "--config", str(project.config_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"feeds: config error: {project.root}/{message}")
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 300 + len(str(project.root))
    assert snapshot(project.output) == before


def test_no_config_in_the_current_folder_names_it_and_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("generate")
    assert result.exit_code == 1
    assert result.stderr == (
        f"feeds: config error: no config.yaml in {tmp_path}; run feeds in the folder that "
        "holds it, or pass --config PATH\n"
    )
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("command", ["check", "generate"])
def test_an_empty_seeds_folder_is_a_warning(project: Project, command: str) -> None:
    project.write_raw("notes.markdown", "---\ntitle: not a seed suffix\n---\n")
    project.configure([{"slug": "all", "title": "All"}])
    result = run(command, "--config", str(project.config_path))
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: 0 seeds found in {project.seeds} (seed files end in .md, .txt, .yaml, "
        ".yml); every feed is empty\n"
    )
    project.seed("ok.md", title="Fine", webUrl="https://news.example/ok")
    assert run(command, "--config", str(project.config_path)).stderr == ""
