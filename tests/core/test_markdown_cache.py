"""Rendered Markdown is kept per text (fablab/core/markdown.py): the same text gives
the same sanitised HTML, a changed text is rendered anew, long texts are not kept."""

from __future__ import annotations

from fablab.core import markdown


def test_a_text_is_rendered_once_and_stays_sanitised():
    markdown._render_cached.cache_clear()
    text = "# Titre\n\n<script>alert(1)</script> **gras**"
    first = markdown.render_markdown(text)
    second = markdown.render_markdown(text)
    assert first == second
    assert "<script>" not in first and "<strong>gras</strong>" in first and "<h2>" in first
    assert markdown._render_cached.cache_info().hits == 1


def test_a_changed_text_is_rendered_anew():
    assert "Avant" in markdown.render_markdown("Avant")
    after = markdown.render_markdown("Après")
    assert "Après" in after and "Avant" not in after


def test_a_long_text_is_rendered_each_time_without_being_kept():
    markdown._render_cached.cache_clear()
    long_text = "mot " * (markdown.CACHED_TEXT_LIMIT // 4 + 10)
    assert "mot" in markdown.render_markdown(long_text)
    assert markdown._render_cached.cache_info().currsize == 0
