"""``config.yaml``: a typed schema (pydantic) and the resolved settings the pipeline runs on.

Validation is declarative so every error can name its key path
(``feeds[2].min_quality: expected an integer, got 'high'``) instead of failing somewhere deep
inside a run. Paths in the file are relative to the config file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from feeds.seeds import SafeLoader
from feeds.text import clean_url

SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
INTERVAL_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """An unusable config: the message is one line naming the file and the key path."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthorModel(_Model):
    name: StrictStr
    email: StrictStr | None = None


class SiteModel(_Model):
    title: StrictStr
    url: StrictStr
    description: StrictStr | None = None
    author: AuthorModel | None = None
    language: StrictStr | None = "en"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = clean_url(value)
        if url is None:
            raise ValueError(f"expected an absolute http(s) URL, got {value!r}")
        return url if url.endswith("/") else url + "/"


class ScheduleModel(_Model):
    interval: StrictStr | None = None
    cron: StrictStr | None = None

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            match = INTERVAL_RE.match(value)
            if not match or int(match.group(1)) == 0:
                raise ValueError(f"expected a duration like 30s, 15m, 1h or 1d, got {value!r}")
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value, timezone="UTC")
            except ValueError as exc:
                raise ValueError(f"not a crontab expression ({exc}): {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one(self) -> ScheduleModel:
        if self.interval and self.cron:
            raise ValueError("give either interval or cron, not both")
        return self


class FeedSettingsModel(_Model):
    """Settings every feed has; ``defaults`` gives them, each feed may override any."""

    min_quality: StrictInt | None = None
    include_unpublished: StrictBool | None = None
    max_items: StrictInt | None = Field(default=None, ge=1, le=100_000)
    missing_quality: Literal["keep", "drop"] | None = None
    content: Literal["full", "summary"] | None = None
    max_related: StrictInt | None = Field(default=None, ge=0, le=20)


class TextModel(_Model):
    """Length caps applied once, when seeds are read (so they are corpus-wide, not per feed)."""

    max_title_length: StrictInt = Field(default=200, ge=10, le=10_000)
    max_summary_length: StrictInt = Field(default=1000, ge=10, le=100_000)


class FeedModel(FeedSettingsModel):
    slug: StrictStr
    title: StrictStr
    description: StrictStr | None = None
    topics: list[StrictStr] | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value) or value in (".", ".."):
            raise ValueError(
                f"{value!r} is not a file name inside output/: use letters, digits, '.', '_' "
                "and '-', starting with a letter or digit")
        return value


class ConfigModel(_Model):
    site: SiteModel
    seeds: StrictStr = "seeds"
    output: StrictStr = "output"
    cache: StrictStr | None = ".feeds-cache"
    schedule: ScheduleModel = ScheduleModel()
    defaults: FeedSettingsModel = FeedSettingsModel()
    text: TextModel = TextModel()
    feeds: list[FeedModel] = []
    auto_topics: StrictBool = False

    @model_validator(mode="after")
    def _unique_slugs(self) -> ConfigModel:
        seen: set[str] = set()
        for i, feed in enumerate(self.feeds):
            if feed.slug.lower() in seen:
                raise ValueError(f"feeds[{i}].slug: duplicate slug {feed.slug!r}")
            seen.add(feed.slug.lower())
        return self


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
    min_quality: int = 0
    include_unpublished: bool = False
    max_items: int = 50
    missing_quality: str = "keep"
    content: str = "full"
    max_related: int = 5


@dataclass(frozen=True, slots=True)
class TextLimits:
    max_title_length: int = 200
    max_summary_length: int = 1000


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    site: Site
    seeds: Path
    output: Path
    cache: Path | None
    feeds: tuple[FeedConfig, ...]
    defaults: FeedConfig
    text: TextLimits
    auto_topics: bool
    interval_seconds: int | None
    cron: str | None


BUILTIN_DEFAULTS = FeedConfig(slug="", title="", description="", topics=None)


def _merge(base: FeedConfig, override: FeedSettingsModel, **fields: Any) -> FeedConfig:
    values = {k: v for k, v in override.model_dump(
        include=set(FeedSettingsModel.model_fields)).items() if v is not None}
    return FeedConfig(**{**{f: getattr(base, f) for f in base.__slots__}, **values, **fields})


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


_TYPE_WORDS = {"int_type": "an integer", "bool_type": "true or false",
               "string_type": "a string", "list_type": "a list", "dict_type": "a mapping",
               "model_type": "a mapping", "int_parsing": "an integer"}


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The valid keys of the mapping at ``loc`` (for 'did you mean' hints)."""
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return []
        ann = info.annotation
        inner = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type)]
        models = [a for a in inner if issubclass(a, BaseModel)]
        if not models:
            return []
        model = models[0]
    return list(model.model_fields)


def describe_error(err: dict[str, Any]) -> str:
    """One readable line for one pydantic error, starting with the key path."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        valid = _fields_at(ConfigModel, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else \
            (f" (valid keys: {', '.join(valid)})" if valid else "")
        return f"{_loc(loc)}: unknown key{hint}"
    if kind == "missing":
        return f"{_loc(loc)}: required key is missing"
    if kind in _TYPE_WORDS:
        return f"{_loc(loc)}: expected {_TYPE_WORDS[kind]}, got {got!r}"
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "value_error" and msg.startswith("feeds[") and ": " in msg:
        return msg
    return f"{_loc(loc)}: {msg}" if loc else msg


def parse_config(data: Any, path: Path) -> Config:
    """Validate a loaded YAML document and resolve it against ``path``'s folder."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_error(exc.errors()[0])}") from None
    base = path.parent
    defaults = _merge(BUILTIN_DEFAULTS, model.defaults)
    feeds = tuple(
        _merge(defaults, f, slug=f.slug, title=f.title,
               description=f.description or f.title,
               topics=tuple(f.topics) if f.topics is not None else None)
        for f in model.feeds)
    interval = None
    if model.schedule.interval:
        match = INTERVAL_RE.match(model.schedule.interval)
        assert match
        interval = int(match.group(1)) * INTERVAL_UNITS[match.group(2)]
    elif not model.schedule.cron:
        interval = 15 * 60
    site = model.site
    return Config(
        path=path,
        site=Site(title=site.title, url=site.url, description=site.description or site.title,
                  author_name=site.author.name if site.author else None,
                  author_email=site.author.email if site.author else None,
                  language=site.language),
        seeds=(base / model.seeds),
        output=(base / model.output),
        cache=(base / model.cache) if model.cache else None,
        feeds=feeds,
        defaults=defaults,
        text=TextLimits(**model.text.model_dump()),
        auto_topics=model.auto_topics,
        interval_seconds=interval,
        cron=model.schedule.cron,
    )


def load_config(path: Path) -> Config:
    """Read, validate and resolve a config file; every problem is a one-line ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") \
            from None
    try:
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: YAML error: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from None
    config = parse_config(data, path)
    if not config.seeds.is_dir():
        raise ConfigError(f"{path}: seeds: folder {str(config.seeds)!r} does not exist")
    if config.output.exists() and not config.output.is_dir():
        raise ConfigError(f"{path}: output: {str(config.output)!r} is not a folder")
    return config


def slugify(topic: str) -> str:
    """A file-name-safe slug for an auto topic feed ("AI in Healthcare" -> "ai-in-healthcare")."""
    slug = re.sub(r"[^a-z0-9]+", "-", topic.casefold()).strip("-")
    return slug[:100]
