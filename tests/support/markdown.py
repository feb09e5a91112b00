"""Render a report as GitHub would (CommonMark + tables) and say what a reader would see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Rendered:
    html: str

    def count(self, tag: str) -> int:
        return len(re.findall(rf"<{tag}[\s>]", self.html))

    @property
    def verdicts(self) -> list[str]:
        """Bold PASS / FAIL / INCONCLUSIVE words: a verdict as a reader sees one."""
        return re.findall(r"<strong>(PASS|FAIL|INCONCLUSIVE)</strong>", self.html)

    @property
    def foreign_links(self) -> list[str]:
        return re.findall(r"<a\s[^>]*href=\"([^\"]*)\"", self.html)

    @property
    def controls(self) -> list[str]:
        return _CONTROL.findall(self.html)


def render(markdown: str) -> Rendered:
    return Rendered(_RENDERER.render(markdown))


def assert_one_truthful_page(markdown: str) -> Rendered:
    """One title, one verdict, no link, no image, no raw HTML tag, no control byte."""
    page = render(markdown)
    assert page.count("h1") == 1, page.html[:2000]
    assert len(page.verdicts) == 1, page.verdicts
    assert page.foreign_links == []
    assert page.count("img") == 0 and page.count("script") == 0
    assert page.controls == []
    return page
