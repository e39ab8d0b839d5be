"""Properties of feed reading: any bytes give a document or one FeedError, any HTML gives
text with absolute links and no markup left."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from heartbeat_bot.sources.feed_html import html_to_markdown
from heartbeat_bot.sources.feed_parse import FeedError, parse_feed

_TAGS = st.sampled_from(
    ["p", "a", "ul", "li", "script", "style", "h2", "br", "img", "pre", "blockquote", "b"]
)
_HTML = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(["](/x)", "[a](b)", "<script>", "&lt;b&gt;", "* ", "1. ", "`"]),
        _TAGS.map(lambda t: f"<{t}>"),
        _TAGS.map(lambda t: f"</{t}>"),
        st.sampled_from(['<a href="/rel">', "<a href='javascript:x()'>", '<a href="http://a.b/">']),
    ),
    max_size=30,
).map("".join)


@given(st.binary(max_size=2000), st.sampled_from([None, "text/html", "application/json"]))
def test_any_bytes_give_a_document_or_a_feed_error(body: bytes, ctype: str | None) -> None:
    """No input makes the parser raise anything but FeedError."""
    try:
        parse_feed(body, "https://x.example/feed", ctype)
    except FeedError as exc:
        assert "\n" not in str(exc)


@given(_HTML)
def test_any_html_gives_markup_free_text_with_absolute_links(html: str) -> None:
    """Read back as CommonMark, the text holds no HTML and links only to absolute URLs."""
    text = html_to_markdown(html, "https://blog.example/2024/post/")
    tokens = MarkdownIt("commonmark").parse(text)
    inline = [child for token in tokens for child in (token.children or [])]
    assert not [t for t in [*tokens, *inline] if t.type in ("html_block", "html_inline")]
    for link in (t for t in inline if t.type == "link_open"):
        assert str(link.attrs["href"]).startswith(("https://", "http://", "mailto:"))
