"""One identity per topic, and a readable, distinct slug for it in any script."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.files import is_slug
from feeds.topics import assign_slugs, slugify, topic_key


@pytest.mark.parametrize(
    "spellings",
    [
        ["Power Apps", "Power-Apps", "POWER APPS", "Power Apps!!!", "power_apps", " power  apps"],
        ["Power\u00a0Apps", "Ｐｏｗｅｒ Ａｐｐｓ", "Power—Apps", "«Power Apps»", "Power.Apps"],
        ["Café", "CAFÉ", "Cafe\u0301", "café!"],  # composed or not
        ["Straße", "STRASSE", "strasse"],
        ["C++", "c++", "C ++"],
        ["R&D", "R & D", "r&d"],
        ["İstanbul", "Istanbul", "ISTANBUL"],
        ["Ελληνικά", "ΕΛΛΗΝΙΚΆ"],
        ["日本語", "日本語 "],
    ],
)
def test_spellings_of_one_topic_share_a_key(spellings: list[str]) -> None:
    assert len({topic_key(s) for s in spellings}) == 1


def test_different_topics_keep_different_keys() -> None:
    names = ["C", "C++", "C#", "F#", "Café", "Cafe", "NET 8", "AI", "A.I. ethics", "İ", "i"]
    assert len({topic_key(n) for n in names}) == len(names) - 1  # "İ" is "i"
    assert [topic_key(n) for n in (".NET", "C ++", "A.I.")] == ["net", "c++", "a i"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("AI in Healthcare", "ai-in-healthcare"),
        ("Café", "cafe"),
        ("Crème brûlée", "creme-brulee"),
        ("C++", "c-plus-plus"),
        ("C#", "c-sharp"),
        ("R&D", "r-and-d"),
        ("Ελληνικά", "ellinika"),
        ("Русский", "russkiy"),
        ("日本語", "ri-ben-yu"),
        ("हिन्दी", "hindi"),
        ("한국어", "hangugeo"),
        ("🚀", "rocket"),
        ("!!!", ""),
    ],
)
def test_slugs_are_readable_ascii_in_any_script(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_long_names_are_cut_at_a_word() -> None:
    slug = slugify(" ".join(["word"] * 40))
    assert len(slug) <= 80 and slug.endswith("word")


def _assign(*names: str):
    return assign_slugs({topic_key(n): n for n in names})


def test_every_topic_gets_a_distinct_valid_slug_whatever_the_order() -> None:
    names = [
        "C", "C++", "C#", "c plus plus", "Café", "Cafe", "Ελληνικά", "日本語", "!!!", "🚀",
        "x" * 120, "Power Apps",
    ]  # fmt: skip
    slugs = _assign(*names)
    assert len(set(slugs.by_key.values())) == len(names)
    assert all(is_slug(s) and re.fullmatch(r"[a-z0-9-]+", s) for s in slugs.by_key.values())
    for _ in range(5):
        random.shuffle(names)
        assert _assign(*names) == slugs


def test_colliding_topics_get_distinct_slugs_with_a_message() -> None:
    slugs = _assign("Café", "Cafe", "Power Apps")
    assert slugs.by_key["cafe"] == "cafe"  # the one whose slug spells it
    assert re.fullmatch(r"cafe-[0-9a-f]{8}", slugs.by_key["café"])
    assert slugs.by_key["power apps"] == "power-apps"
    assert slugs.notices == [
        f"topic 'Café' would have the slug 'cafe', the slug of 'Cafe'; "
        f"its feed is {slugs.by_key['café']!r}"
    ]
    c = _assign("C++", "c plus plus")
    assert c.by_key["c plus plus"] == "c-plus-plus" and c.by_key["c++"] != "c-plus-plus"
    assert len(c.notices) == 1 and "'C++'" in c.notices[0]


def test_transliterated_unreadable_and_taken_slugs_are_never_silent() -> None:
    slugs = assign_slugs(
        {topic_key(n): n for n in ("Ελληνικά", "!!!", "Index", "Café")}, taken={"index"}
    )
    assert slugs.by_key["ελληνικά"] == "ellinika"
    assert re.fullmatch(r"topic-[0-9a-f]{8}", slugs.by_key["!!!"])
    assert re.fullmatch(r"index-[0-9a-f]{8}", slugs.by_key["index"])
    notices = "\n".join(slugs.notices)
    assert "topic 'Ελληνικά': feed slug 'ellinika' is transliterated" in notices
    assert "topic '!!!' has no letters or digits" in notices
    assert "topic 'Index' would have the slug 'index', taken by a configured feed" in notices
    assert "Café" not in notices  # an accent taken off is no transliteration


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_any_names_get_stable_keys_and_distinct_valid_slugs(names: list[str]) -> None:
    for name in names:
        assert topic_key(topic_key(name)) == topic_key(name)
    slugs = _assign(*names).by_key
    assert len(set(slugs.values())) == len(slugs) == len({topic_key(n) for n in names})
    assert all(is_slug(s) for s in slugs.values())
