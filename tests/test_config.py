import datetime as dt
import time
from pathlib import Path

import pytest
import yaml

from feeds.config import CRON_NICKNAMES, ConfigError, load_config, parse_config
from feeds.daemon import trigger_for
from tests.helpers import SITE


def _parse(data: dict):
    return parse_config({"site": SITE, **data}, Path("/srv/feeds/config.yaml"))


def test_unknown_keys_list_the_valid_ones_when_nothing_is_close() -> None:
    with pytest.raises(ConfigError, match=r"site.zzz: unknown key \(valid keys: title, url, "):
        _parse({"site": {**SITE, "zzz": 1}})


def test_defaults_and_overrides_are_merged() -> None:
    config = _parse(
        {
            "defaults": {"min_quality": 30, "max_items": 10},
            "feeds": [
                {"slug": "ai", "title": "AI", "topics": ["AI"]},
                {"slug": "all", "title": "All", "min_quality": 0},
            ],
        }
    )
    ai, everything = config.feeds
    assert (ai.min_quality, ai.max_items, ai.topics) == (30, 10, ("AI",))
    assert (everything.min_quality, everything.topics) == (0, None)
    assert everything.description == "All"
    assert config.seeds == Path("/srv/feeds/seeds")
    assert config.output == Path("/srv/feeds/output")
    assert config.site.url == "https://example.org/feeds/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "feeds": [
                    {"slug": "a", "title": "A"},
                    {"slug": "b", "title": "B"},
                    {"slug": "c", "title": "C", "min_quality": "high"},
                ]
            },
            "feeds[2].min_quality: expected a number, got 'high'",
        ),
        (
            {"feeds": [{"slug": "a", "title": "A", "min_qualty": 3}]},
            "feeds[0].min_qualty: unknown key (did you mean 'min_quality'?)",
        ),
        ({"defualts": {}}, "defualts: unknown key (did you mean 'defaults'?)"),
        (
            {"feeds": [{"slug": "a", "title": "A"}, {"slug": "A", "title": "B"}]},
            "feeds[1].slug: duplicate slug 'A'",
        ),
        ({"feeds": [{"slug": "../x", "title": "A"}]}, "feeds[0].slug: '../x' is not a file name"),
        ({"feeds": [{"slug": "/etc/x", "title": "A"}]}, "feeds[0].slug: '/etc/x' is not"),
        ({"feeds": [{"slug": "a/b", "title": "A"}]}, "feeds[0].slug: 'a/b' is not"),
        ({"feeds": [{"slug": "", "title": "A"}]}, "feeds[0].slug: '' is not"),
        ({"feeds": [{"title": "A"}]}, "feeds[0].slug: required key is missing"),
        (
            {"defaults": {"missing_quality": "maybe"}},
            "defaults.missing_quality: expected one of 'keep', 'drop', got 'maybe'",
        ),
        (
            {"feeds": [{"slug": "a", "title": "A", "max_items": 0}]},
            "feeds[0].max_items: must be >= 1, got 0",
        ),
        ({"text": {"max_title_length": 5}}, "text.max_title_length: must be >= 10, got 5"),
        ({"defaults": {"max_related": 21}}, "defaults.max_related: must be <= 20, got 21"),
        ({"site": {"title": "S", "url": "ftp://x"}}, "site.url: expected an absolute http(s) URL"),
        (
            {"site": {"title": "S", "url": "https://example.org/?page=feeds"}},
            "site.url: must not have a query ('?...'): 'https://example.org/?page=feeds'",
        ),
        (
            {"site": {"title": "S", "url": "https://example.org/feeds/#x"}},
            "site.url: must not have a fragment",
        ),
        (
            {"site": {"title": "S", "url": "https://ed:secret@example.org/"}},
            "site.url: must not contain credentials",
        ),
        ({"site": {"title": "S", "url": "https://example.org/my feeds/"}}, "site.url: contains"),
        ({"defaults": {"min_quality": True}}, "defaults.min_quality: expected a number, got True"),
        ({"defaults": {"min_quality": float("nan")}}, "defaults.min_quality: expected a number"),
        ({"feeds": [{"slug": "a"}]}, "feeds[0].title: required key is missing"),
        (
            {"schedule": {"interval": "1m", "cron": "* * * * *"}},
            "schedule.cron: give either interval or cron, not both",
        ),
        (
            {"defaults": {"include_unpublished": "yes"}},
            "defaults.include_unpublished: expected true or false, got 'yes'",
        ),
        (
            {"defaults": {"status": "draft"}},
            "defaults.status: expected one of 'published', 'unpublished', 'any', got 'draft'",
        ),
        (
            {"defaults": {"status": "any", "include_unpublished": True}},
            "defaults.include_unpublished: deprecated alias of status, which is given too",
        ),
        (
            {"feeds": [{"slug": "a", "title": "A", "status": "any", "include_unpublished": False}]},
            "feeds[0].include_unpublished: deprecated alias of status, which is given too",
        ),
        ({"schedule": {"interval": "soon"}}, "schedule.interval: expected a duration"),
        ({"schedule": {"cron": "61 * * * *"}}, "schedule.cron: not a crontab expression"),
        ({"schedule": {"cron": "@reboot"}}, "or one of @hourly, @daily, @midnight, @weekly"),
        (
            {"schedule": {"cron": "0 0 30 2 *"}},
            "schedule.cron: never fires: '0 0 30 2 *' names no date that exists",
        ),
        ({"schedule": {"cron": "0 0 31 4,6,9,11 *"}}, "schedule.cron: never fires"),
        (
            {"schedule": {"interval": "100000000d"}},
            "schedule.interval: expected a duration from 1s to 365d, like 30s, 15m, 1h or 1d, "
            "got '100000000d'",
        ),
        ({"schedule": {"interval": "366d"}}, "schedule.interval: expected a duration from 1s"),
        ({"schedule": {"interval": "0s"}}, "schedule.interval: expected a duration from 1s"),
        ({"schedule": {"interval": "9" * 5000 + "s"}}, "schedule.interval: expected a duration"),
        ({"max_age": "100000000d"}, "max_age: expected a duration from 1s to 365d"),
    ],
)
def test_errors_name_the_key_path(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _parse(data)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_intervals() -> None:
    assert _parse({"schedule": {"interval": "30s"}}).interval_seconds == 30
    assert _parse({"schedule": {"interval": "1h"}}).interval_seconds == 3600
    assert _parse({}).interval_seconds == 900


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ({"interval": "10m"}, 600),
        ({}, 900),
        ({"cron": "*/5 * * * *"}, 300),
        ({"cron": "0 9,17 * * *"}, 8 * 3600),  # the shortest gap, not the 16 h overnight one
        ({"cron": "30 2 * * 1"}, 7 * 86400),
        ({"cron": "@hourly"}, 3600),
        ({"cron": "@daily"}, 86400),
        ({"cron": "@midnight"}, 86400),
        ({"cron": "@weekly"}, 7 * 86400),
        ({"cron": "@monthly"}, 28 * 86400),  # February
        ({"cron": "@yearly"}, 365 * 86400),
        ({"cron": "@annually"}, 365 * 86400),
    ],
)
def test_poll_seconds(schedule: dict, seconds: int) -> None:
    assert _parse({"schedule": schedule}).poll_seconds == seconds


def test_load_config_checks_folders_and_yaml(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"site": SITE}))
    with pytest.raises(ConfigError, match=r"seeds: folder .* does not exist"):
        load_config(path)
    assert load_config(path, need_seeds=False).output == tmp_path / "output"  # feeds serve
    (tmp_path / "seeds").mkdir()
    (tmp_path / "output").write_text("a file")
    with pytest.raises(ConfigError, match=r"output: .* is not a folder"):
        load_config(path)
    path.write_text("site: [unclosed\n")
    with pytest.raises(ConfigError, match=r"config.yaml:2: YAML error"):
        load_config(path)


def test_site_url_is_canonical_and_ends_with_a_slash() -> None:
    site = {"title": "S", "url": "https://Bücher.example/feeds"}
    assert _parse({"site": site}).site.url == "https://xn--bcher-kva.example/feeds/"


def test_min_quality_may_be_any_number() -> None:
    config = _parse({"defaults": {"min_quality": 49.5}, "feeds": [{"slug": "a", "title": "A"}]})
    assert config.feeds[0].min_quality == 49.5
    assert _parse({"defaults": {"min_quality": 50}}).defaults.min_quality == 50


def test_status_and_its_deprecated_alias_include_unpublished() -> None:
    config = _parse(
        {
            "defaults": {"include_unpublished": True},
            "feeds": [
                {"slug": "all", "title": "All"},
                {"slug": "public", "title": "Public", "include_unpublished": False},
                {"slug": "queue", "title": "Queue", "status": "unpublished"},
            ],
        }
    )
    assert [f.status for f in config.feeds] == ["any", "published", "unpublished"]
    assert config.defaults.status == "any"
    # The alias resolves to the same settings as status, so the daemon's comparison of
    # feed settings and the render digest see no change when a config switches spelling.
    renamed = _parse(
        {
            "defaults": {"status": "any"},
            "feeds": [
                {"slug": "all", "title": "All"},
                {"slug": "public", "title": "Public", "status": "published"},
                {"slug": "queue", "title": "Queue", "status": "unpublished"},
            ],
        }
    )
    assert renamed.feeds == config.feeds
    assert [repr(f) for f in renamed.feeds] == [repr(f) for f in config.feeds]
    assert _parse({}).defaults.status == "published"
    assert _parse({"defaults": {"status": "unpublished"}}).defaults.status == "unpublished"


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HEAD = 'site: {title: T, url: "https://example.org/"}\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEAD + "feeds:\n  - slug: a\n    title: A\n  - slug: b\n    title: B\n    title: C\n",
            "config.yaml:7: feeds[1].title: duplicate key (first on line 6)",
        ),
        (HEAD + "seeds: a\nseeds: b\n", "config.yaml:3: seeds: duplicate key (first on line 2)"),
        (
            "site:\n  title: T\n  url: https://example.org/\n  title: U\n",
            "config.yaml:4: site.title: duplicate key (first on line 2)",
        ),
        (
            HEAD + "output_options:\n  a: {b: [{c: 1, c: 2}]}\n",
            "config.yaml:3: output_options.a.b[0].c: duplicate key (first on line 3)",
        ),
    ],
)
def test_a_repeated_key_is_refused_naming_both_lines(
    tmp_path: Path, text: str, message: str
) -> None:
    """PyYAML keeps the last of two equal keys; feeds refuses the file, at any depth."""
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    assert str(info.value) == f"{tmp_path / message}"


def test_merge_keys_override_without_being_duplicates(tmp_path: Path) -> None:
    text = HEAD + "base: &b {slug: a, title: A}\n" + "feeds:\n  - <<: *b\n    title: B\n"
    # Only the unknown key "base" is wrong here, not the overriding title.
    with pytest.raises(ConfigError, match=r"config.yaml: base: unknown key"):
        load_config(_write(tmp_path, text))


BILLION_LAUGHS = (  # the classic: 9**9 strings once the aliases are written out
    HEAD
    + """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
)


def test_an_alias_bomb_fails_at_once_with_a_short_message(tmp_path: Path) -> None:
    path = _write(tmp_path, BILLION_LAUGHS)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert time.perf_counter() - started < 1
    assert str(info.value) == f"{path}: too large after expanding aliases (over 100000 values)"
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + "x: " + "[" * 20_000 + "]" * 20_000 + "\n", "YAML error"),  # nesting
        (HEAD + "defaults: {min_quality: " + "9" * 5000 + "}\n", "YAML error: Exceeds"),
        (HEAD + "# " + "x" * (1024 * 1024) + "\n", "too large: over 1048576 bytes"),
        (HEAD + "defaults: {min_quality: '" + "x" * 500_000 + "'}\n", "expected a number"),
        (
            "site: {title: &a '" + "x" * 500_000 + "', url: 'https://example.org/'}\n"
            "seeds: [*a, *a]\n",
            "seeds: expected a string",
        ),
        ("site: {title: T, url: 'https://x.org/?" + "q" * 500_000 + "'}\n", "site.url: must not"),
        (HEAD + "defaults: {" + "k" * 1000 + ": 1}\n", "unknown key"),
        (HEAD + "defaults: !!binary aGVsbG8=\n", "defaults: expected a mapping"),
        (HEAD + "x: !!python/object:os.system {}\n", "YAML error: could not determine"),
    ],
)
def test_hostile_configs_fail_fast_with_a_short_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert time.perf_counter() - started < 1
    assert message in str(info.value)
    assert len(str(info.value)) < 300 + len(str(path))


@pytest.mark.parametrize(
    "schedule",
    [
        {"interval": "1s"},
        {"interval": "365d"},  # the longest: the daemon's trigger must still hold it
        {"cron": "* * * * *"},
        {"cron": "0 0 29 2 mon"},  # a leap day on a Monday: once in 28 years, but it fires
        *({"cron": name} for name in CRON_NICKNAMES),
    ],
)
def test_every_schedule_check_accepts_is_one_the_daemon_can_run(schedule: dict) -> None:
    """`feeds check` builds the daemon's trigger: a config it passes never fails in `run`."""
    config = _parse({"schedule": schedule})
    trigger = trigger_for(config)
    now = dt.datetime.now(dt.UTC)
    fire = trigger.get_next_fire_time(None, now)
    assert fire is not None and fire >= now
    assert trigger.get_next_fire_time(fire, fire) > fire
    assert 0 < config.poll_seconds <= 28 * 366 * 86400


def test_weekly_means_sunday_midnight() -> None:
    trigger = trigger_for(_parse({"schedule": {"cron": "@weekly"}}))
    fire = trigger.get_next_fire_time(None, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    assert fire == dt.datetime(2024, 1, 7, tzinfo=dt.UTC)  # a Sunday


def test_max_age_is_capped_like_intervals() -> None:
    assert _parse({"max_age": "365d"}).max_age == 365 * 86400


@pytest.mark.parametrize("key", ["cache", "seeds", "state", "private_output"])
def test_nothing_private_may_live_inside_the_output(tmp_path: Path, key: str) -> None:
    (tmp_path / "output" / "inner").mkdir(parents=True)
    (tmp_path / "seeds").mkdir()
    path = _write(tmp_path, HEAD + f"{key}: output/inner\n")
    with pytest.raises(ConfigError, match=rf"{key}: .* must be separate folders"):
        load_config(path)


def test_a_list_of_choices_names_them(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "defaults: {formats: [atom, pdf]}\n")
    with pytest.raises(ConfigError, match=r"defaults\.formats\[1\]: expected one of 'atom', "):
        load_config(path)


def test_every_spelling_of_the_config_path_is_one_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`feeds generate` in the folder and a unit's full path keep one manifest and cache."""
    from feeds.pipeline import generate
    from tests.helpers import Project

    project = Project(tmp_path)
    project.seed("a.md", title="A", webUrl="https://news.example/a")
    project.configure([{"slug": "a", "title": "A"}, {"slug": "b", "title": "B"}])
    monkeypatch.chdir(tmp_path)
    generate(load_config(Path("config.yaml")))
    project.configure([{"slug": "a", "title": "A"}])
    report = generate(load_config(tmp_path / "config.yaml"))
    assert report.written is not None and "b.atom" in report.written.removed
    assert not (project.output / "b.atom").exists()


def test_watch_settings(tmp_path: Path) -> None:
    from tests.helpers import Project

    project = Project(tmp_path)
    project.configure([], watch={"notify": False, "rescan": "1h"})
    config = load_config(project.config_path)
    assert (config.watch, config.rescan_seconds) == (False, 3600)
    project.configure([])
    config = load_config(project.config_path)
    assert (config.watch, config.rescan_seconds) == (True, 300)
    project.configure([], watch={"rescan": "never"})
    with pytest.raises(ConfigError, match=r"watch\.rescan: expected a duration"):
        load_config(project.config_path)
