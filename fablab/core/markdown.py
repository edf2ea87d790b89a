"""Markdown written by members and staff, rendered to HTML and sanitised."""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"},
                      "th": {"scope"}, "td": set()}


def render_markdown(text: str | None) -> Markup:
    """HTML safe to put in a page: no script, no event handler, no javascript: link.

    The same text always gives the same HTML, so the last texts rendered are kept
    (a project page shows five or more of them; rendering them was a third of its
    time). Long texts are rendered each time rather than kept."""
    text = text or ""
    if len(text) > CACHED_TEXT_LIMIT:
        return _render(text)
    return _render_cached(text)


CACHED_TEXT_LIMIT = 8_000  # with 512 entries, a few MB at most


@lru_cache(maxsize=512)
def _render_cached(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    html = md.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    # Headings start at h2: the page's h1 is its title.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")
    return Markup(clean)
