"""Incremental selection: a long-lived pipeline's items, indexed so that a change re-ranks only
the feeds it touches, without re-sorting (or even visiting) the whole corpus.

Why: :func:`feeds.select.select` walks every candidate of a feed, so a daemon tick after one
changed seed cost ~10 ms per feed at 10k seeds and seconds at 1M for feeds that carry
everything. :class:`Corpus` keeps, per feed, the items that pass its time-independent filters
(topics, quality, status) in newest-first order, with the counts of the others; an item
change is an insertion or a removal (a binary search and a memmove), and a feed's selection
is read from the top of its list: the future-dated items (held back, always at the top), then
entries until ``max_items`` distinct ids are taken, each id's duplicate group merged exactly
as :func:`~feeds.select.pool` merges it.

:meth:`Corpus.select` returns exactly what :func:`~feeds.select.select` returns for the same
items, feed and time (``tests/test_ranking.py`` checks it over random sequences of changes).
Pure and in memory: no clock, no files.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter

from feeds.config import FeedConfig
from feeds.items import Item
from feeds.select import REASONS, Selection, _better, _merged, drop_reason, horizon_of
from feeds.topics import topic_key

_ORDER = attrgetter("order_key")
# Far past every horizon: drop_reason() with it applies only the time-independent filters.
_NO_HORIZON = dt.datetime.max.replace(tzinfo=dt.UTC)


def _signature(feed: FeedConfig) -> tuple:
    """What a feed's selection depends on (not its title, slug or formats)."""
    wanted = None if feed.topics is None else frozenset(topic_key(t) for t in feed.topics)
    return (wanted, feed.min_quality, feed.missing_quality, feed.status, feed.max_items)


@dataclass(slots=True)
class _Ranked:
    """One selection signature's state: its eligible items in order, and its counts."""

    wanted: frozenset[str] | None
    feed: FeedConfig  # any feed with this signature: drop_reason reads only its filters
    ranked: list[Item] = field(default_factory=list)  # passing the static filters, in order
    candidates: int = 0  # items matching the topics (all items when no topics)
    counts: Counter[str] = field(default_factory=Counter)  # static drop reasons
    dups: int = 0  # len(ranked) minus the distinct ids in it
    version: int = 0  # bumped by every change, so a selection can be reused
    memo: tuple[tuple, Selection] | None = None

    def matches(self, item: Item) -> bool:
        return self.wanted is None or not self.wanted.isdisjoint(item.topic_keys)  # type: ignore[arg-type]

    def eligible(self, item: Item) -> bool:
        return self.matches(item) and drop_reason(item, self.feed, _NO_HORIZON) is None


class Corpus:
    """Items by seed, by id and by topic, and every feed's ranking, kept up to date."""

    def __init__(self, items: Iterable[Item] = (), defaults: FeedConfig | None = None) -> None:
        # Automatic topics are named by the items a feed with the defaults' filters carries
        # (see feeds.select.feeds_for); None counts every item.
        self.defaults = defaults
        self.items: dict[str, Item] = {}  # by seed path (Item.source)
        self.by_id: dict[str, list[Item]] = {}
        self.by_topic: dict[str, set[str]] = {}  # topic key -> seed paths
        # topic key -> spelling -> items the defaults carry (held-back ones included)
        self.spellings: dict[str, Counter[str]] = {}
        self.order: list[Item] = []  # every item, newest first (for held-back items)
        self._states: dict[tuple, _Ranked] = {}
        self.changes = 0  # bumped by every update
        self._spellings_memo: tuple[tuple[int, int], Mapping[str, Mapping[str, int]]] | None = None
        for item in items:
            self._index(item)
        self.order = sorted(self.items.values(), key=_ORDER)

    # -- the item indexes -------------------------------------------------------------------

    def _index(self, item: Item) -> None:
        self.items[item.source] = item
        self.by_id.setdefault(item.id, []).append(item)
        counted = self._counted(item)
        for name, key in zip(item.topics, item.topic_keys, strict=True):  # type: ignore[arg-type]
            self.by_topic.setdefault(key, set()).add(item.source)
            if counted:
                self.spellings.setdefault(key, Counter())[name] += 1

    def _unindex(self, item: Item) -> None:
        del self.items[item.source]
        group = self.by_id[item.id]
        group.remove(item)
        if not group:
            del self.by_id[item.id]
        counted = self._counted(item)
        for name, key in zip(item.topics, item.topic_keys, strict=True):  # type: ignore[arg-type]
            sources = self.by_topic[key]
            sources.discard(item.source)
            if not sources:
                del self.by_topic[key]
            if not counted:
                continue
            counts = self.spellings[key]
            counts[name] -= 1
            if counts[name] <= 0:
                del counts[name]
            if not counts:
                del self.spellings[key]
        _remove(self.order, item)

    def _counted(self, item: Item) -> bool:
        return self.defaults is None or drop_reason(item, self.defaults, _NO_HORIZON) is None

    def topic_spellings(self, now: dt.datetime | None = None) -> Mapping[str, Mapping[str, int]]:
        """:func:`~feeds.select.spellings_of` the corpus at ``now``: the kept counts less the
        held-back items' (at the top of the newest-first order). Remembered until the corpus
        changes or an item comes due, so an idle tick does not count them again."""
        held = _held_back(self.order, horizon_of(now))
        if self._spellings_memo is not None and self._spellings_memo[0] == (self.changes, held):
            return self._spellings_memo[1]
        minus: dict[str, Counter[str]] = {}
        for item in self.order[:held]:
            if self._counted(item):
                for name, key in zip(item.topics, item.topic_keys, strict=True):  # type: ignore[arg-type]
                    minus.setdefault(key, Counter())[name] += 1
        spellings: Mapping[str, Mapping[str, int]] = self.spellings
        if minus:
            spellings = dict(self.spellings)
            for key, gone in minus.items():
                left = Counter(spellings[key])
                left.subtract(gone)
                left = +left  # drops spellings no item carries any more
                if left:
                    spellings[key] = left
                else:
                    del spellings[key]
        self._spellings_memo = ((self.changes, held), spellings)
        return spellings

    def update(self, changes: Iterable[tuple[Item | None, Item | None]]) -> None:
        """Apply item changes: (old, new) per seed, None for absent."""
        self.changes += 1
        for old, new in changes:
            if old is not None and self.items.get(old.source) is old:
                self._unindex(old)
                for state in self._states.values():
                    self._leave(state, old)
            if new is not None:
                if new.source in self.items:  # not the version we held: replace it too
                    held = self.items[new.source]
                    self._unindex(held)
                    for state in self._states.values():
                        self._leave(state, held)
                self._index(new)
                _insert_sorted(self.order, new)
                for state in self._states.values():
                    self._join(state, new)

    # -- per-feed rankings ------------------------------------------------------------------

    def _state(self, feed: FeedConfig) -> _Ranked:
        sig = _signature(feed)
        state = self._states.get(sig)
        if state is None:
            state = _Ranked(sig[0], feed)
            if state.wanted is None:
                pool: Iterable[Item] = self.items.values()
            else:
                sources = set().union(*(self.by_topic.get(k, ()) for k in state.wanted))
                pool = (self.items[s] for s in sources)
            ranked = []
            for item in pool:
                state.candidates += 1
                reason = drop_reason(item, feed, _NO_HORIZON)
                if reason is None:
                    ranked.append(item)
                else:
                    state.counts[reason] += 1
            ranked.sort(key=_ORDER)
            state.ranked = ranked
            state.dups = len(ranked) - len({i.id for i in ranked})
            self._states[sig] = state
        return state

    def version(self, feed: FeedConfig) -> int:
        """A number that changes whenever anything this feed's selection reads changes."""
        return self._state(feed).version

    def forget_except(self, feeds: Iterable[FeedConfig]) -> None:
        """Drop the rankings of feeds no longer planned (an automatic topic gone)."""
        keep = {_signature(f) for f in feeds}
        for sig in [s for s in self._states if s not in keep]:
            del self._states[sig]

    def _others_eligible(self, state: _Ranked, item: Item) -> bool:
        return any(m is not item and state.eligible(m) for m in self.by_id.get(item.id, ()))

    def _join(self, state: _Ranked, item: Item) -> None:
        if not state.matches(item):
            return
        state.version += 1
        state.candidates += 1
        reason = drop_reason(item, state.feed, _NO_HORIZON)
        if reason is not None:
            state.counts[reason] += 1
            return
        state.dups += self._others_eligible(state, item)
        _insert_sorted(state.ranked, item)

    def _leave(self, state: _Ranked, item: Item) -> None:
        if not state.matches(item):
            return
        state.version += 1
        state.candidates -= 1
        reason = drop_reason(item, state.feed, _NO_HORIZON)
        if reason is not None:
            state.counts[reason] -= 1
            return
        _remove(state.ranked, item)
        state.dups -= self._others_eligible(state, item)

    def select(self, feed: FeedConfig, now: dt.datetime | None = None) -> Selection:
        """``select(items, feed, now)`` over the corpus' items, from the feed's ranking.

        Held-back items sit at the top of a ranking (newest first), so how many there are is
        a binary search; a feed whose ranking, corpus size and held-back count did not move
        since the last call gets that call's selection back.
        """
        state = self._state(feed)
        horizon = horizon_of(now)
        future = _held_back(state.ranked, horizon)
        memo = (state.version, len(self.items), future, feed)
        if state.memo is not None and state.memo[0] == memo:
            return state.memo[1]
        selection = self._select(state, feed, horizon, future)
        state.memo = (memo, selection)
        return selection

    def _select(
        self, state: _Ranked, feed: FeedConfig, horizon: dt.datetime, future: int
    ) -> Selection:
        dropped = dict.fromkeys(REASONS, 0)
        if state.wanted is not None:
            dropped["off-topic"] = len(self.items) - state.candidates
        for reason, n in state.counts.items():
            dropped[reason] = n
        ranked = state.ranked
        dropped["future-dated"] = future

        def current(item: Item) -> bool:
            return item.published <= horizon and state.eligible(item)

        # Ids whose every eligible member is held back are no entry at all. Most ids have
        # one member (held back, since it is in this part of the ranking): only a duplicate
        # group needs its members looked at.
        gone = 0
        by_id = self.by_id
        for i in {i.id for i in itertools.islice(ranked, future)}:
            group = by_id[i]
            gone += len(group) == 1 or not any(map(current, group))
        distinct = len(ranked) - state.dups - gone
        dropped["duplicate"] = len(ranked) - future - distinct
        kept: list[Item] = []
        taken: set[str] = set()
        limit = feed.max_items
        for item in itertools.islice(ranked, future, None):  # no copy of a long list
            if len(kept) == limit:
                break
            if item.id in taken:
                continue
            taken.add(item.id)
            group = self.by_id[item.id]
            if len(group) == 1:
                kept.append(item)
                continue
            members = [m for m in group if current(m)]
            if len(members) == 1:
                kept.append(item)
                continue
            best = members[0]
            for m in members[1:]:
                if _better(m, best):
                    best = m
            published = [m.published for m in members]
            kept.append(_merged(best, min(published), max(published)))
        dropped["over the limit"] = distinct - len(kept)
        return Selection(feed, tuple(kept), dropped)

    def next_release(self, now: dt.datetime) -> dt.datetime | None:
        """When the first held-back item comes due (None: none is held back)."""
        order = self.order
        i = _held_back(order, horizon_of(now))
        # The order is by publication (see _held_back): the last held-back item is the first due.
        return order[i - 1].published if i else None


def _held_back(ranked: list[Item], horizon: dt.datetime) -> int:
    """How many items at the top of a newest-first list are dated after ``horizon``.

    Binary search: the list is ordered by publication timestamps, which order exactly like
    the datetimes wherever distinct microseconds have distinct floats (any date before
    2255), and every date after that is far beyond any horizon."""
    return bisect.bisect_left(ranked, True, key=lambda item: item.published <= horizon)


def _insert_sorted(ranked: list[Item], item: Item) -> None:
    ranked.insert(bisect.bisect_left(ranked, item.order_key, key=_ORDER), item)


def _remove(ranked: list[Item], item: Item) -> None:
    i = bisect.bisect_left(ranked, item.order_key, key=_ORDER)
    while i < len(ranked) and ranked[i] is not item:
        i += 1  # equal keys are possible only for the same seed: at most a step or two
    if i < len(ranked):
        del ranked[i]
