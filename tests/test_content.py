import datetime as dt
import html

from lxml import html as lxml_html

from feeds.content import entry_html, ranked_related
from feeds.items import Image, Item, Provider, Related
from tests.helpers import executable_markup, make_item

WHEN = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _item(**kw: object) -> Item:
    base = dict(
        when=WHEN,
        images=(Image("https://img.example/a.jpg", 640, 360),),
        related=(
            Related("Low", "https://low.example/", quality=10, provider=Provider("Low Times")),
            Related("High", "https://high.example/", quality=90, provider=Provider("High Post")),
            Related("None", "https://none.example/"),
        ),
    )
    return make_item(**{**base, **kw})


def test_full_content_has_image_excerpt_outlet_and_related_best_first() -> None:
    html = entry_html(_item())
    assert '<img src="https://img.example/a.jpg" alt="Title" width="640" height="360">' in html
    assert "<p>The excerpt.</p>" in html
    assert (
        'Read the full story at <a href="https://news.example/1" '
        'rel="noopener noreferrer">The Outlet</a>'
    ) in html
    assert html.index("High") < html.index("Low") < html.index("None")
    assert "— <em>High Post</em>" in html


def test_related_limit_and_order() -> None:
    assert [r.title for r in ranked_related(_item(), 2)] == ["High", "Low"]
    assert "Low" not in entry_html(_item(), max_related=1)
    assert "Related coverage" not in entry_html(_item(), max_related=0)


def test_summary_mode_is_the_excerpt_only() -> None:
    assert entry_html(_item(), "summary") == "<p>The excerpt.</p>"


def test_video_thumbnail_links_to_the_video() -> None:
    html = entry_html(_item(type="video"))
    assert html.startswith(
        '<figure><a href="https://news.example/1" rel="noopener noreferrer">'
        '<img src="https://img.example/a.jpg"'
    )
    assert "Watch the video at" in html


def test_hostile_strings_are_escaped_not_executed() -> None:
    html = entry_html(
        _item(
            summary='<script>alert(1)</script> & "quotes"',
            title='"><img src=x onerror=alert(1)>',
            link="javascript:alert(1)",
        )
    )
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    assert [e.tag for e in tree.iter()] == [
        "div",
        "figure",
        "img",
        "p",
        "p",
        "a",
        "p",
        "strong",
        "ul",
        "li",
        "a",
        "em",
        "li",
        "a",
        "em",
        "li",
        "a",
    ]
    attrs = {name for e in tree.iter() for name in e.attrib}
    assert attrs == {"src", "alt", "width", "height", "rel", "href"}
    assert all(e.get("href", "https:").startswith("https:") for e in tree.iter())


def test_a_title_in_an_attribute_cannot_close_its_quotes_when_decoded_again() -> None:
    body = entry_html(_item(title='Say "hi" onmouseover="alert(1)'))
    img = lxml_html.fragment_fromstring(body, create_parent="div").find(".//img")
    assert img.get("alt") == "Say 'hi' onmouseover='alert(1)"
    assert executable_markup(html.unescape(body)) == []
