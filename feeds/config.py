"""``config.yaml``: a typed schema (msgspec) and the resolved settings the pipeline runs on.

Validation is declarative so every error can name its key path
(``feeds[2].min_quality: expected a number, got 'high'``) instead of failing somewhere deep
inside a run. msgspec rather than pydantic: the same strict typing, at a tenth of the import
time every command pays. Paths in the file are relative to the config file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

import msgspec
import yaml
from msgspec import Meta

from feeds.errors import ConfigError
from feeds.files import FORMATS, RESERVED_SLUGS, is_slug
from feeds.items import DEFAULT_LIMITS, MAX_RELATED, TextLimits
from feeds.messages import clip, quoted, short
from feeds.remote import SECRET_KEYS, is_remote
from feeds.safeyaml import StrictLoader, duplicate_keys
from feeds.urls import hub_url, site_url

if TYPE_CHECKING:  # APScheduler is imported only when a cron schedule is read
    from apscheduler.triggers.cron import CronTrigger

__all__ = ["Config", "ConfigError", "FeedConfig", "Site", "load_config", "parse_config"]

INTERVAL_RE = re.compile(r"^\s*(\d{1,12})\s*(s|m|h|d)\s*$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_INTERVAL = 15 * 60  # seconds between the daemon's runs when no schedule is given
# The longest interval and max_age: the scheduler holds any interval up to this (a test
# builds the trigger for it), and past a year a reader's poll or a cache is meaningless.
MAX_DURATION = 365 * 86400
DURATIONS = "a duration from 1s to 365d, like 30s, 15m, 1h or 1d"
# A cron schedule's poll time is measured from a fixed instant, so it never depends on the clock.
CRON_EPOCH = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
CRON_FIRES = 50
# Which items a feed takes by the source's `published` flag (absent counts as published):
# only published ones (public feeds), only unpublished ones (an editors' queue), or both.
STATUSES = ("published", "unpublished", "any")
# The Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks), so a
# crontab expression that has not fired 400 years after CRON_EPOCH never fires.
CRON_HORIZON = CRON_EPOCH.replace(year=CRON_EPOCH.year + 400)
# Cron's nicknames, which APScheduler 3 does not know, as the expressions they stand for
# (@weekly is Sunday: APScheduler 3 reads a day-of-week 0 as Monday, so it is spelled out).
CRON_NICKNAMES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * sun",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
# A config file is a few kilobytes; anything near these sizes is hostile, not a config.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_VALUES = 100_000  # after expanding YAML aliases, which can multiply a small file


class _Invalid(ValueError):
    """A value error about one key of the struct being checked (``key``: ``message``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}\x00{message}")


class _Model(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class AuthorModel(_Model):
    name: str
    email: str | None = None


class SiteModel(_Model):
    title: str
    url: str
    description: str | None = None
    author: AuthorModel | None = None
    language: str | None = "en"

    def __post_init__(self) -> None:
        try:
            site_url(self.url)
        except ValueError as exc:
            raise _Invalid("url", str(exc)) from None


def _secret_key(options: Mapping[str, Any], depth: int = 0) -> str | None:
    """The first key (dotted path) in storage options that would hold a credential."""
    for key, value in options.items():
        if str(key).lower() in SECRET_KEYS:
            return str(key)
        if isinstance(value, Mapping) and depth < 4:
            inner = _secret_key(value, depth + 1)
            if inner:
                return f"{key}.{inner}"
    return None


def _local_output(base: Path, output: str) -> Path:
    """A local output folder; ``file://`` URLs name one too (written with atomic renames)."""
    if output.lower().startswith("file://"):
        return Path(unquote(urlsplit(output).path))  # url2pathname on POSIX
    return base / output


def duration_seconds(text: str) -> int | None:
    """Seconds in a duration like 30s, 15m, 1h or 1d, up to MAX_DURATION (None: not one)."""
    match = INTERVAL_RE.match(text)
    if not match:
        return None
    seconds = int(match.group(1)) * INTERVAL_UNITS[match.group(2)]
    return seconds if 0 < seconds <= MAX_DURATION else None


def _check_duration(key: str, text: str | None) -> None:
    if text is not None and duration_seconds(text) is None:
        raise _Invalid(key, f"expected {DURATIONS}, got {short(text)}")


def cron_trigger(expr: str, end_date: dt.datetime | None = None) -> CronTrigger:
    """The APScheduler trigger of a crontab expression or nickname (``@daily``), in UTC: the
    one place a cron schedule is read, by validation and by the daemon alike."""
    from apscheduler.triggers.cron import CronTrigger

    fields = CRON_NICKNAMES.get(expr.strip().lower(), expr).split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=day_of_week,
        end_date=end_date,
        timezone=dt.UTC,
    )


def _check_cron(expr: str) -> None:
    """A crontab expression the daemon can schedule and that fires at least once."""
    try:
        trigger = cron_trigger(expr, end_date=CRON_HORIZON)
    except ValueError as exc:
        raise _Invalid(
            "cron",
            f"not a crontab expression ({clip(str(exc))}): {short(expr)}; use 5 fields "
            f"(minute hour day month weekday) or one of {', '.join(CRON_NICKNAMES)}",
        ) from None
    if trigger.get_next_fire_time(None, CRON_EPOCH) is None:
        raise _Invalid("cron", f"never fires: {short(expr)} names no date that exists")


class ScheduleModel(_Model):
    interval: str | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        _check_duration("interval", self.interval)
        if self.cron is not None:
            _check_cron(self.cron)
        if self.interval and self.cron:
            raise _Invalid("cron", "give either interval or cron, not both")


class WatchModel(_Model):
    notify: bool = True  # the daemon learns of seed changes from inotify (Linux)
    rescan: str = "5m"  # and scans the whole seeds folder this often anyway

    def __post_init__(self) -> None:
        _check_duration("rescan", self.rescan)


class WebSubModel(_Model):
    hubs: list[str] = []

    def __post_init__(self) -> None:
        for i, hub in enumerate(self.hubs):
            try:
                hub_url(hub)
            except ValueError as exc:
                raise _Invalid(f"hubs[{i}]", str(exc)) from None


class FeedSettingsModel(_Model):
    """Settings every feed has; ``defaults`` gives them, each feed may override any."""

    min_quality: int | float | None = None  # qualities compare as numbers: 49.5 < 50
    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    # The older spelling of status (true: any, false: published), still read so configs
    # written for it keep working; deprecated, and refused beside status.
    include_unpublished: bool | None = None
    max_items: Annotated[int, Meta(ge=1, le=100_000)] | None = None
    missing_quality: Literal["keep", "drop"] | None = None
    content: Literal["full", "summary"] | None = None
    max_related: Annotated[int, Meta(ge=0, le=MAX_RELATED)] | None = None
    formats: list[Literal[FORMATS]] | None = None  # type: ignore[valid-type]

    def __post_init__(self) -> None:
        if self.status is not None and self.include_unpublished is not None:
            raise _Invalid(
                "include_unpublished",
                "deprecated alias of status, which is given too: keep only status "
                "(include_unpublished: true is status: any, false is status: published)",
            )
        if self.min_quality is not None and not math.isfinite(self.min_quality):
            raise _Invalid("min_quality", f"expected a number, got {short(self.min_quality)}")
        if self.formats is not None:
            if not self.formats:
                raise _Invalid("formats", f"give at least one of {', '.join(FORMATS)}")
            if len(set(self.formats)) != len(self.formats):
                raise _Invalid("formats", f"a format is listed twice: {short(self.formats)}")


class TextModel(_Model):
    """Length caps applied once, when seeds are read (so they are corpus-wide, not per feed)."""

    max_title_length: Annotated[int, Meta(ge=10, le=10_000)] = DEFAULT_LIMITS.max_title_length
    max_summary_length: Annotated[int, Meta(ge=10, le=100_000)] = DEFAULT_LIMITS.max_summary_length


class FeedModel(FeedSettingsModel, kw_only=True):  # kw_only: required keys after defaults
    slug: str
    title: str
    description: str | None = None
    topics: list[str] | None = None
    private: bool = False  # written to private_output, served only under a token

    def __post_init__(self) -> None:
        super().__post_init__()
        if not is_slug(self.slug):
            raise _Invalid(
                "slug",
                f"{short(self.slug)} is not a file name inside output/: use "
                "letters, digits, '.', '_' and '-', starting with a letter or digit",
            )
        if self.slug.lower() in RESERVED_SLUGS:
            raise _Invalid(
                "slug", f"{short(self.slug)} is reserved for a site page ({self.slug}.html)"
            )


class ConfigModel(_Model):
    site: SiteModel
    seeds: str = "seeds"
    output: str = "output"
    output_options: dict[str, Any] = {}
    private_output: str | None = None  # default: <state>/private
    state: str = ".feeds"
    cache: str | msgspec.UnsetType | None = msgspec.UNSET
    max_age: str | None = None
    templates: str | None = None
    schedule: ScheduleModel = ScheduleModel()
    defaults: FeedSettingsModel = FeedSettingsModel()
    text: TextModel = TextModel()
    feeds: list[FeedModel] = []
    auto_topics: bool = False
    websub: WebSubModel = WebSubModel()
    watch: WatchModel = WatchModel()

    def __post_init__(self) -> None:
        if self.output_options and not is_remote(self.output):
            raise _Invalid(
                "output_options", "storage options are for an object-store output (s3://...)"
            )
        secret = _secret_key(self.output_options)
        if secret:
            raise _Invalid(
                f"output_options.{secret}",
                "credentials come only from the environment and the standard credential "
                "chains (AWS_ACCESS_KEY_ID..., ~/.aws, instance roles), never from config.yaml",
            )
        _check_duration("max_age", self.max_age)
        seen: set[str] = set()
        for i, feed in enumerate(self.feeds):
            if feed.slug.lower() in seen:
                raise _Invalid(f"feeds[{i}].slug", f"duplicate slug {short(feed.slug)}")
            seen.add(feed.slug.lower())


# Resolved settings: plain dataclasses the rest of the pipeline reads.


@dataclass(frozen=True, slots=True)
class Site:
    title: str
    url: str
    description: str
    author_name: str | None
    author_email: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class FeedConfig:
    slug: str
    title: str
    description: str
    topics: tuple[str, ...] | None
    min_quality: int | float = 0
    status: str = "published"  # one of STATUSES: which of the source's items the feed takes
    max_items: int = 50
    missing_quality: str = "keep"
    content: str = "full"
    max_related: int = 5
    formats: tuple[str, ...] = FORMATS
    private: bool = False


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    site: Site
    seeds: Path
    output: Path | None  # a local folder; None when output_url is set
    state: Path  # the lock, the manifest and the parse cache: never published
    private_output: Path  # private feeds: never in the output
    cache: Path | None
    templates: Path | None  # a folder whose files replace the built-in page templates
    feeds: tuple[FeedConfig, ...]
    defaults: FeedConfig
    text: TextLimits
    auto_topics: bool
    interval_seconds: int | None  # None exactly when ``cron`` is set
    cron: str | None
    max_age_seconds: int | None = None  # None: the schedule's poll interval
    hubs: tuple[str, ...] = ()  # WebSub hubs to announce and ping
    output_url: str | None = None  # an object-store prefix (s3://bucket/prefix/)
    output_options: Mapping[str, Any] = field(default_factory=dict)
    watch: bool = True  # the daemon follows the seeds folder through inotify where it can
    rescan_seconds: int = 300  # and scans all of it this often anyway

    @property
    def destination(self) -> str:
        """Where feeds publish, for messages: the folder or the URL."""
        return self.output_url or str(self.output)

    @property
    def max_age(self) -> int:
        """How long a served file may be cached (HTTP ``Cache-Control: max-age``)."""
        return self.max_age_seconds if self.max_age_seconds is not None else self.poll_seconds

    @property
    def poll_seconds(self) -> int:
        """How often the output may change, in seconds: what a reader should wait between
        fetches (HTTP max-age, RSS <ttl>). A cron schedule gives its shortest gap."""
        if self.cron:
            return cron_min_gap(self.cron)
        assert self.interval_seconds is not None
        return self.interval_seconds


@functools.cache
def cron_min_gap(expr: str) -> int:
    """The smallest gap between consecutive fire times of a crontab expression (UTC), over
    its first CRON_FIRES fires from CRON_EPOCH; DEFAULT_INTERVAL if it never fires twice."""
    trigger = cron_trigger(expr)
    fires: list[dt.datetime] = []
    while len(fires) < CRON_FIRES:
        prev = fires[-1] if fires else None
        fire = trigger.get_next_fire_time(prev, prev or CRON_EPOCH)
        if fire is None:
            break
        fires.append(fire)
    gaps = [int((b - a).total_seconds()) for a, b in itertools.pairwise(fires)]
    return min(gaps, default=DEFAULT_INTERVAL)


BUILTIN_DEFAULTS = FeedConfig(slug="", title="", description="", topics=None)


def _merge(base: FeedConfig, override: FeedSettingsModel, **fields: Any) -> FeedConfig:
    values = {
        k: getattr(override, k)
        for k in FeedSettingsModel.__struct_fields__
        if getattr(override, k) is not None
    }
    alias = values.pop("include_unpublished", None)
    if alias is not None:  # the deprecated spelling, resolved at the level it was given on
        values["status"] = "any" if alias else "published"
    if "formats" in values:  # in the order pages list them, whatever the config's order
        values["formats"] = tuple(f for f in FORMATS if f in values["formats"])
    return FeedConfig(**{**{f: getattr(base, f) for f in base.__slots__}, **values, **fields})


_TYPE_WORDS = {
    "int": "an integer",
    "int | float": "a number",
    "bool": "true or false",
    "str": "a string",
    "array": "a list",
    "object": "a mapping",
}
_MSG = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _walk(data: Any, parts: list[str | int]) -> Any:
    for part in parts:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _struct_at(parts: list[str | int]) -> type[msgspec.Struct] | None:
    """The struct type describing the mapping at ``parts`` (for 'did you mean' hints)."""
    cls: Any = ConfigModel
    for part in parts:
        if isinstance(part, int):
            continue
        hints = msgspec.structs.fields(cls)
        field = next((f for f in hints if f.name == part), None)
        if field is None:
            return None
        candidates = [field.type, *getattr(field.type, "__args__", ())]
        nested = [
            c
            for c in candidates
            for c in (c, *getattr(c, "__args__", ()))
            if isinstance(c, type) and issubclass(c, msgspec.Struct)
        ]
        if not nested:
            return None
        cls = nested[0]
    return cls


def _literals(kind: Any) -> list[Any]:
    """The values of the Literal types anywhere inside a type (``list[Literal[...]] | None``)."""
    if getattr(kind, "__origin__", None) is Literal:
        return list(kind.__args__)
    return [v for arg in getattr(kind, "__args__", ()) for v in _literals(arg)]


def _path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """A key path as messages write it: ``feeds[2].min_quality`` (a hostile key clipped)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + clip(part, 60)
    return out


def describe_error(exc: msgspec.ValidationError, data: Any) -> str:
    """One readable line for a validation error, starting with the key path."""
    match = _MSG.match(str(exc))
    assert match is not None
    msg, raw_path = match.group("msg"), match.group("path") or ""
    parts: list[str | int] = [int(i) if i else k for k, i in _PART.findall(raw_path)]
    if "\x00" in msg:  # raised by a __post_init__ check, about one key of that struct
        key, text = msg.split("\x00", 1)
        key_parts = [int(i) if i else k for k, i in _PART.findall("." + key)]
        return f"{_path(parts + key_parts)}: {text}"
    unknown = re.match(r"Object contains unknown field `(.+)`", msg)
    if unknown:
        cls = _struct_at(parts)
        valid = list(cls.__struct_fields__) if cls else []
        close = difflib.get_close_matches(unknown.group(1), valid, n=1)
        hint = (
            f" (did you mean '{close[0]}'?)"
            if close
            else (f" (valid keys: {', '.join(valid)})" if valid else "")
        )
        return f"{_path([*parts, unknown.group(1)])}: unknown key{hint}"
    missing = re.match(r"Object missing required field `(.+)`", msg)
    if missing:
        return f"{_path([*parts, missing.group(1)])}: required key is missing"
    got = _walk(data, parts)
    bound = re.match(r"Expected `int` ([<>]=) (-?\d+)", msg)
    if bound:
        return f"{_path(parts)}: must be {bound.group(1)} {bound.group(2)}, got {short(got)}"
    expected = re.match(r"Expected `(.+?)(?: \| null)?`, got", msg)
    if expected and expected.group(1) in _TYPE_WORDS:
        return f"{_path(parts)}: expected {_TYPE_WORDS[expected.group(1)]}, got {short(got)}"
    if msg.startswith("Invalid enum value"):
        # The field is the last key in the path (a list element's path ends in its index).
        last = max((i for i, p in enumerate(parts) if isinstance(p, str)), default=-1)
        cls = _struct_at(list(parts[:last])) if last >= 0 else None
        field = (
            next((f for f in msgspec.structs.fields(cls) if f.name == parts[last]), None)
            if cls
            else None
        )
        allowed = [repr(a) for a in _literals(getattr(field, "type", None))] if field else []
        return f"{_path(parts)}: expected one of {', '.join(allowed)}, got {short(got)}"
    return f"{_path(parts)}: {clip(msg)}" if parts else clip(msg)


def exceeds(data: Any, limit: int) -> bool:
    """True if ``data`` holds more than ``limit`` values (mappings, lists, keys and scalars)
    counted as if every YAML alias were written out; stops counting at the limit, so a
    billion laughs costs ``limit`` steps."""
    count = 0
    stack = [data]
    while stack:
        value = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def parse_config(data: Any, path: Path) -> Config:
    """Validate a loaded YAML document and resolve it against ``path``'s folder."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    if exceeds(data, MAX_VALUES):  # before anything walks it: an alias bomb is exponential
        raise ConfigError(f"{path}: too large after expanding aliases (over {MAX_VALUES} values)")
    try:
        model = msgspec.convert(data, ConfigModel)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {describe_error(exc, data)}") from None
    base = path.parent
    defaults = _merge(BUILTIN_DEFAULTS, model.defaults)
    feeds = tuple(
        _merge(
            defaults,
            f,
            slug=f.slug,
            title=f.title,
            description=f.description or f.title,
            topics=tuple(f.topics) if f.topics is not None else None,
            private=f.private,
        )
        for f in model.feeds
    )
    interval = None
    if model.schedule.interval:
        interval = duration_seconds(model.schedule.interval)
    elif not model.schedule.cron:
        interval = DEFAULT_INTERVAL
    site = model.site
    return Config(
        path=path,
        site=Site(
            title=site.title,
            url=site_url(site.url),
            description=site.description or site.title,
            author_name=site.author.name if site.author else None,
            author_email=site.author.email if site.author else None,
            language=site.language,
        ),
        seeds=(base / model.seeds),
        output=None if is_remote(model.output) else _local_output(base, model.output),
        output_url=model.output if is_remote(model.output) else None,
        output_options=model.output_options,
        state=base / model.state,
        private_output=base / (model.private_output or f"{model.state}/private"),
        cache=(base / model.state / "cache")
        if model.cache is msgspec.UNSET
        else (base / model.cache)
        if model.cache
        else None,
        max_age_seconds=duration_seconds(model.max_age) if model.max_age else None,
        hubs=tuple(hub_url(hub) for hub in model.websub.hubs),
        templates=(base / model.templates) if model.templates else None,
        feeds=feeds,
        defaults=defaults,
        text=TextLimits(model.text.max_title_length, model.text.max_summary_length),
        auto_topics=model.auto_topics,
        interval_seconds=interval,
        cron=model.schedule.cron,
        watch=model.watch.notify,
        rescan_seconds=duration_seconds(model.watch.rescan),
    )


def read_yaml(path: Path) -> Any:
    """The config file's YAML document; a file too large, a repeated key, or anything the
    YAML library refuses is a one-line ConfigError naming the file and the line."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: too large: over {MAX_CONFIG_BYTES} bytes")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    loader = StrictLoader(text)
    try:
        root = loader.get_single_node()
        duplicate = next(iter(duplicate_keys(root)), None)
        if duplicate is not None:
            key = _path([*duplicate.path, duplicate.key])
            raise ConfigError(
                f"{path}:{duplicate.line + 1}: {key}: duplicate key "
                f"(first on line {duplicate.first + 1})"
            )
        return loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{path}{where}: YAML error: {clip(problem)}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {clip(str(exc))}") from None
    except RecursionError:
        raise ConfigError(f"{path}: YAML error: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. !!int with 5000 digits
        raise ConfigError(f"{path}: YAML error: {clip(str(exc))}") from None
    finally:
        loader.dispose()


def load_config(path: Path, *, need_seeds: bool = True) -> Config:
    """Read, validate and resolve a config file; every problem is a one-line ConfigError.

    ``need_seeds=False`` is for commands that only read the output (``feeds serve``): a
    missing seeds folder must not stop them.
    """
    # Absolute, so that every spelling of one config (`--config config.yaml` in its folder,
    # a systemd unit's full path) keys the same manifest and cache.
    path = path.absolute()
    config = parse_config(read_yaml(path), path)
    if need_seeds and not config.seeds.is_dir():
        raise ConfigError(f"{path}: seeds: folder {quoted(config.seeds)} does not exist")
    if config.output is not None:
        if config.output.exists() and not config.output.is_dir():
            raise ConfigError(f"{path}: output: {quoted(config.output)} is not a folder")
        output = config.output.resolve()
        # Anything inside the output is public: nothing feeds keeps for itself may be there
        # (the state and parse cache hold unpublished candidates; seeds too), nor hold it.
        for key, folder in (
            ("state", config.state),
            ("private_output", config.private_output),
            ("cache", config.cache),
            ("seeds", config.seeds),
        ):
            if folder is None:
                continue
            inner = folder.resolve()
            if inner == output or inner.is_relative_to(output) or output.is_relative_to(inner):
                raise ConfigError(
                    f"{path}: {key}: {quoted(folder)} and output: {quoted(config.output)} must "
                    "be separate folders, neither inside the other (the output is public)"
                )
    if config.templates is not None and not config.templates.is_dir():
        raise ConfigError(f"{path}: templates: folder {quoted(config.templates)} does not exist")
    return config
