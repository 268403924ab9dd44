"""What every renderer shares: the site's settings, its templates, and where each feed's files
and pages live.

Built once per config (:meth:`RenderSettings.of` reads the templates, the only I/O), so the
renderers themselves stay pure functions of their inputs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from feeds import __version__
from feeds.config import Config, FeedConfig, Site
from feeds.files import SYNDICATION, file_name
from feeds.items import Item

# An empty feed has no newest entry; a fixed instant keeps its bytes stable (never "now").
# Validators flag dates before 1990 as implausible, hence not the Unix epoch.
EMPTY_FEED_UPDATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
TEMPLATE_SUFFIXES = (".html", ".opml")


# What shapes a feed's bytes besides its inputs: the rendering code and these libraries.
RENDER_MODULES = ("render.py", "syndication.py", "jsonfeed.py", "pages.py", "content.py",
                  "site.py", "files.py")  # fmt: skip
RENDER_LIBRARIES = ("feedgen", "lxml", "nh3", "jinja2", "markupsafe")


@functools.cache
def renderer_digest() -> str:
    """A digest of the code and library versions that render feeds: an upgrade of feeds, of
    feedgen, lxml, nh3 or Jinja2 that changes the bytes renders every feed again.

    A library is identified by its installed package file (size, times, inode), found without
    importing it or reading package metadata (~40 ms for five libraries): a run with nothing
    to render must not pay for the renderer. Any reinstall changes the identity; at worst
    every feed is rendered once more, to the same bytes.
    """
    import importlib.util

    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for name in RENDER_MODULES:
        h.update(b"\0" + (here / name).read_bytes())
    for lib in RENDER_LIBRARIES:
        spec = importlib.util.find_spec(lib)
        try:
            info = os.stat(spec.origin) if spec and spec.origin else None
        except OSError:
            info = None
        stamp = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino) if info else "?"
        h.update(f"\0{lib}={stamp}".encode())
    return h.hexdigest()


def feed_updated(items: tuple[Item, ...]) -> dt.datetime:
    """A feed's own update time: its newest entry's (never the clock)."""
    return max((i.updated for i in items), default=EMPTY_FEED_UPDATED)


@dataclass(frozen=True, slots=True)
class FeedLinks:
    """A feed's URLs: the human view (its page, or the index without one) and each of its
    files by format. A private feed's files are only known by name: they are served under a
    secret token no file may contain, so its documents carry no self link."""

    page: str
    files: dict[str, str]
    private: bool = False


def builtin_templates() -> dict[str, str]:
    folder = resources.files("feeds") / "templates"
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.name.endswith(TEMPLATE_SUFFIXES)
    }


def load_templates(folder: Path | None) -> dict[str, str]:
    """The built-in templates, each replaced by a file of the same name in ``folder``."""
    templates = builtin_templates()
    if folder is not None:
        for path in sorted(folder.iterdir()):
            if path.name.endswith(TEMPLATE_SUFFIXES) and path.is_file():
                templates[path.name] = path.read_text(encoding="utf-8")
    return templates


@dataclass(frozen=True)
class RenderSettings:
    """Everything besides a feed's own settings and items that shapes its bytes."""

    site: Site
    poll_seconds: int
    templates: Mapping[str, str] = field(default_factory=builtin_templates, repr=False)
    has_opml: bool = True  # whether pages may link the OPML list (some feed has a feed file)
    hubs: tuple[str, ...] = ()  # WebSub hubs the feeds announce
    # Where Jinja2 may keep compiled templates (a writing run's state folder): a new process
    # then loads them instead of compiling (~0.1 s). Shapes no byte, so not in the fingerprint.
    compiled: Path | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, config: Config, compiled: Path | None = None) -> RenderSettings:
        # Public feeds only, as pages.has_opml counts them: the OPML list never names a
        # private one, so a private feed must not make public pages link it.
        feeds = [f for f in config.feeds if not f.private]
        feeds += [config.defaults] if config.auto_topics else []
        has_opml = any(fmt in SYNDICATION for feed in feeds for fmt in feed.formats)
        templates = load_templates(config.templates)
        return cls(config.site, config.poll_seconds, templates, has_opml, config.hubs, compiled)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of these settings and of the renderer itself, so that a change to any of
        them renders every feed again."""
        h = hashlib.sha256(
            f"{renderer_digest()}\0{self.site!r}\0{self.poll_seconds}\0{self.has_opml}"
            f"\0{self.hubs}".encode()
        )
        for name in sorted(self.templates):
            h.update(f"\0{name}\0{self.templates[name]}".encode())
        return h.hexdigest()

    def links(self, feed: FeedConfig) -> FeedLinks:
        base = self.site.url
        if feed.private:  # relative names, which resolve under the token's folder
            names = {fmt: file_name(feed.slug, fmt) for fmt in feed.formats}
            return FeedLinks(base, names, private=True)
        page = base + file_name(feed.slug, "html") if "html" in feed.formats else base
        return FeedLinks(page, {fmt: base + file_name(feed.slug, fmt) for fmt in feed.formats})
