"""Tests for inert text: broker strings shown in the terminal, JUnit and report.md stay text.

``visible`` is checked against a table of control classes and by a decoder property (it loses
nothing but line breaks and tabs). ``md`` is checked on what a real CommonMark parser
(markdown-it, with GFM tables and strikethrough) renders for a small report-shaped document:
the forged inputs of a hostile broker, then random text, must leave the document's structure
exactly as it is for harmless text, and the text must come back out of the HTML unchanged.
"""

from __future__ import annotations

import html
import importlib.util
import re
import string
import unicodedata
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from jainam_validate.inert import md, visible

HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
BARE = set("\"'(,/;?")  # the ASCII punctuation md() may leave without a backslash
ESCAPED = set(string.punctuation) - BARE
HAS_LINKIFY = importlib.util.find_spec("linkify_it") is not None


def _hidden(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in HIDDEN]


# --- visible() ----------------------------------------------------------------------------

VISIBLE_CASES = [
    ("empty", "", ""),
    ("plain ascii", "HTTP 400: Not Available. (code e-1)", "HTTP 400: Not Available. (code e-1)"),
    ("accents", "café déjà", "café déjà"),
    ("cjk", "日本語の銘柄", "日本語の銘柄"),
    ("emoji", "ok 🙂🚀", "ok 🙂🚀"),
    ("nbsp kept", "a\u00a0b", "a\u00a0b"),
    ("crlf", "a\r\nb", "a b"),
    ("lf", "a\nb", "a b"),
    ("cr", "a\rb", "a b"),
    ("one space per break", "a\r\n\r\nb", "a  b"),
    ("lf cr is two breaks", "a\n\rb", "a  b"),
    ("nel", "a\x85b", "a b"),
    ("line separator", "a\u2028b", "a b"),
    ("paragraph separator", "a\u2029b", "a b"),
    ("vertical tab", "a\x0bb", "a b"),
    ("form feed", "a\x0cb", "a b"),
    ("tab", "a\tb", "a b"),
    ("nul", "a\x00b", "a\\x00b"),
    ("bel", "a\x07b", "a\\x07b"),
    ("backspace", "ab\x08c", "ab\\x08c"),
    ("file separator", "a\x1cb", "a\\x1cb"),
    ("unit separator", "\x1f", "\\x1f"),
    ("del", "a\x7fb", "a\\x7fb"),
    ("c1 csi", "\x9b31mred", "\\x9b31mred"),
    ("c1 osc", "\x9d8;;x\x9c", "\\x9d8;;x\\x9c"),
    ("c1 first", "\x80", "\\x80"),
    ("c1 last", "\x9f", "\\x9f"),
    ("ansi csi", "\x1b[31mFAIL\x1b[0m", "\\x1b[31mFAIL\\x1b[0m"),
    (
        "osc 8 st",
        "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
        "\\x1b]8;;https://evil.example\\x1b\\\\click\\x1b]8;;\\x1b\\\\",
    ),
    (
        "osc 8 bel",
        "\x1b]8;;https://e.example\x07x\x1b]8;;\x07",
        "\\x1b]8;;https://e.example\\x07x\\x1b]8;;\\x07",
    ),
    ("title osc", "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    ("rlo", "\u202egnp.exe", "\\u202egnp.exe"),
    ("lri pdi", "\u2066x\u2069", "\\u2066x\\u2069"),
    ("zero width space", "a\u200bb", "a\\u200bb"),
    ("zwj", "👩\u200d💻", "👩\\u200d💻"),
    ("bom", "\ufeffx", "\\ufeffx"),
    ("soft hyphen", "a\u00adb", "a\\xadb"),
    ("tag character", "x\U000e0041", "x\\U000e0041"),
    ("lone surrogate", "a\udc80b", "a\\udc80b"),
    ("backslash", "C:\\logs", "C:\\\\logs"),
    ("faked escape", "\\x1b", "\\\\x1b"),
    ("real escape", "\x1b", "\\x1b"),
    ("trailing backslash", "end\\", "end\\\\"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in VISIBLE_CASES], ids=[c[0] for c in VISIBLE_CASES]
)
def test_visible(text: str, expected: str) -> None:
    shown = visible(text)
    assert shown == expected
    assert not _hidden(shown)
    assert "\x1b" not in shown and "\x07" not in shown


def test_a_faked_escape_and_a_real_one_stay_distinguishable() -> None:
    assert visible("\\x1b") != visible("\x1b")
    assert visible("\\u202e") != visible("\u202e")


_ESCAPE = re.compile(r"\\(?:\\|x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8}))")


def _decode(shown: str) -> str:
    """Read visible()'s output back; fails on any backslash that is not one of its escapes."""
    out, pos = [], 0
    while (at := shown.find("\\", pos)) != -1:
        m = _ESCAPE.match(shown, at)
        assert m, f"stray backslash at {at} in {shown!r}"
        out.append(shown[pos:at])
        code = m.group(1) or m.group(2) or m.group(3)
        out.append(chr(int(code, 16)) if code else "\\")
        pos = m.end()
    out.append(shown[pos:])
    return "".join(out)


def _folded(text: str) -> str:
    return re.sub("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029\t]", " ", text)


hostile_chars = st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"])
any_text = st.text(st.one_of(st.characters(), hostile_chars, st.sampled_from("\\xu0123abcdef")))


@settings(max_examples=500, deadline=None)
@given(any_text)
def test_visible_hides_nothing_and_loses_only_line_breaks_and_tabs(text: str) -> None:
    shown = visible(text)
    assert not _hidden(shown) and "\t" not in shown
    assert _decode(shown) == _folded(text)


# --- md(): a report-shaped document rendered by a real CommonMark parser --------------------

TEMPLATE = """# Report title

**PASS**: every check passed.

| check | detail |
|---|---|
| x | {t} |

- **run stopped**: {t}

{t}
"""

ALLOWED_TAGS = {"h1", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"}


def _parser() -> MarkdownIt:
    if HAS_LINKIFY:  # GFM-style bare links too, when linkify-it-py is installed
        return MarkdownIt("commonmark", {"linkify": True}).enable(
            ["table", "strikethrough", "linkify"]
        )
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


PARSER = _parser()


class _Markup(HTMLParser):
    """Everything in rendered HTML that is not text: tags with attributes, comments, decls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.other.append(decl)

    def handle_pi(self, data: str) -> None:
        self.other.append(data)

    def unknown_decl(self, data: str) -> None:
        self.other.append(data)


@dataclass(frozen=True)
class Rendered:
    html: str
    tags: list[tuple[str, list[tuple[str, str | None]]]]
    other: list[str]


def render(inline: str) -> Rendered:
    out = PARSER.render(TEMPLATE.format(t=inline))
    markup = _Markup()
    markup.feed(out)
    markup.close()
    return Rendered(out, markup.tags, markup.other)


@cache
def baseline(empty: bool) -> Rendered:
    return render("" if empty else md("plain"))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _spots(out: str) -> tuple[str, str, str]:
    """The broker text's three places in the rendered HTML: table cell, list item, paragraph."""
    cell = re.search(r"<td>x</td>\n<td>(.*?)</td>", out, re.S)
    item = re.search(r"<li><strong>run stopped</strong>:(.*?)</li>", out, re.S)
    para = re.search(r"</ul>\n(?:<p>(.*?)</p>\n)?\Z", out, re.S)
    assert cell and item and para, out
    return cell.group(1), item.group(1), para.group(1) or ""


def assert_inert(text: str) -> None:
    inline = md(text)
    got = render(inline)
    base = baseline(inline == "")
    out = got.html
    assert out.count("<h1>") == 1, out
    assert not re.search(r"<h[2-6]", out), out
    for tag in ("<strong>", "<em>", "<code>", "<a ", "<img", "<del>", "<s>", "<br", "<hr"):
        assert out.count(tag) == base.html.count(tag), (tag, out)
    for tag in ("<blockquote", "<pre", "<ol", "<script", "<div"):
        assert tag not in out, (tag, out)
    assert out.count("<table>") == 1, out
    rows = re.findall(r"<tr>(.*?)</tr>", out, re.S)
    assert rows and all(len(re.findall(r"<t[hd]>", row)) == 2 for row in rows), out
    # The structure, attributes included, is the harmless document's: no tag, no attribute
    # (onerror=, href=, src=), no comment came from the broker text.
    assert got.tags == base.tags and not got.other, out
    assert {tag for tag, _ in got.tags} <= ALLOWED_TAGS
    assert not [c for c in _hidden(out) if c != "\n"], out
    expected = _collapse(visible(text))
    for spot in _spots(out):
        assert _collapse(html.unescape(spot)) == expected, (spot, out)


def assert_escaped(inline: str) -> None:
    """Every backslash starts a pair with escaped punctuation; no other punctuation is bare."""
    pos = 0
    while pos < len(inline):
        char = inline[pos]
        if char == "\\":
            assert inline[pos + 1 : pos + 2] in ESCAPED, (pos, inline)
            pos += 2
            continue
        assert char not in ESCAPED, (pos, inline)
        pos += 1


FORGED = [
    ("crlf verdict", "ok\r\n\r\n# Verdict\r\n\r\n**PASS**: every check passed."),
    ("lf verdict", "x\n\n# Verdict\n\n**PASS**: every check passed."),
    ("atx heading", "# Verdict"),
    ("h2", "## Verdict ##"),
    ("setext", "Verdict\n==="),
    ("setext underline", "==="),
    ("dash line", "---"),
    ("thematic star", "***"),
    ("thematic underscore", "___"),
    ("strong verdict", "**PASS**: every check passed."),
    ("underscore strong", "__PASS__"),
    ("emphasis", "_x_ *y*"),
    ("link", "[click](https://evil.example)"),
    ("link with title", '[click](https://evil.example "title")'),
    ("reference link", "[click][1]\n\n[1]: https://evil.example"),
    ("shortcut reference", "[PASS]\n[PASS]: https://evil.example"),
    ("image", "![x](https://evil.example/x.png)"),
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("script", "<script>alert(1)</script>"),
    ("html block", "<div>\n<script>alert(1)</script>\n</div>"),
    ("comment", "<!-- hidden -->"),
    ("closing tag", "</td></tr></table><h2>x</h2>"),
    ("cdata", "<![CDATA[x]]>"),
    ("html block div", "<div"),
    ("html block script", "<script"),
    ("html block pi", "<?php x"),
    ("html block doctype", "<!DOCTYPE html>"),
    ("autolink", "<https://evil.example>"),
    ("email autolink", "<a@evil.example>"),
    ("backticks", "`code` and ``x``"),
    ("fence", "```\ncode\n```"),
    ("tilde fence", "~~~\ncode"),
    ("pipes", "a | b | c"),
    ("escaped pipe", "a \\| b"),
    ("backslash before pipe", "a\\\\|b"),
    ("trailing backslash", "trailing\\"),
    ("backslash newline", "a\\\nb"),
    ("trailing spaces", "line   "),
    ("math", "$x^2$ and $$y$$"),
    ("strikethrough", "~~gone~~ ~also~"),
    ("entities", "&amp; &#x41; &#65; &lt;img&gt; &copy;"),
    ("pipe entity", "a &#124; b"),
    ("gfm autolinks", "https://evil.example www.evil.example a@evil.example"),
    ("footnote", "[^1] and [^1]: evil"),
    ("bullet dash", "- a"),
    ("bullet plus", "+ b"),
    ("bullet star", "* c"),
    ("ordered dot", "1. d"),
    ("ordered paren", "1) e"),
    ("blockquote", "> quoted"),
    ("indented code", "     code"),
    ("tab code", "\tcode"),
    ("table rows", "| a | b |\n|---|---|\n| c | d |"),
    ("delimiter row", "|---|---|"),
    ("task list", "[ ] todo [x] done"),
    ("gitlab inline diff", "{+ added +} [- removed -]"),
    ("ansi", "\x1b[31mFAIL\x1b[0m"),
    ("osc 8", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"),
    ("nul", "a\x00b"),
    ("c1 csi", "\x9b2J"),
    ("bidi", "\u202egnp.exe"),
    ("plain", "HTTP 400: Data Not Available. Try again, (code e-1)"),
    ("non-ascii", "café 日本 🙂"),
    ("empty", ""),
    ("only spaces", "   "),
    ("only breaks", "\r\n\n"),
]


@pytest.mark.parametrize("text", [t for _, t in FORGED], ids=[name for name, _ in FORGED])
def test_md_renders_as_its_text_and_nothing_else(text: str) -> None:
    assert_inert(text)
    assert_escaped(md(text))


@pytest.mark.parametrize("text", ["===", "---", "- - -", "***", "=", "-"])
def test_md_cannot_underline_the_line_above_into_a_heading(text: str) -> None:
    out = PARSER.render(f"Verdict: pass\n{md(text)}\n")
    assert out == f"<p>Verdict: pass\n{html.escape(visible(text), quote=False)}</p>\n"


def test_the_checks_can_fail() -> None:
    """The harness is live: unescaped forged text breaks it (guards against a vacuous test)."""
    for forged in ("# Verdict", "**PASS**", "[x](https://e.example)", "<img src=x onerror=y>"):
        got = render(forged)
        assert got.tags != baseline(False).tags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("  padded  ", "padded"),
        ("plain words 123", "plain words 123"),
        ("HTTP 400: Data Not Available.", "HTTP 400\\: Data Not Available\\."),
        ("# Verdict", "\\# Verdict"),
        ("**PASS**", "\\*\\*PASS\\*\\*"),
        ("a|b", "a\\|b"),
        ("C:\\x", "C\\:\\\\\\\\x"),
        ("\x1b[0m", "\\\\x1b\\[0m"),
        ('it\'s "fine", (ok); a/b?', 'it\'s "fine", (ok\\); a/b?'),
    ],
)
def test_md_exact_output(text: str, expected: str) -> None:
    assert md(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example",
        "see http://evil.example/path",
        "www.evil.example",
        "(www.evil.example)",
        "a@evil.example",
        "mailto:a@evil.example",
        "xmpp:a@evil.example/x",
        "ftp://evil.example",
    ],
)
def test_md_gives_gfm_autolinks_nothing_to_trigger_on(text: str) -> None:
    inline = md(text)
    # cmark-gfm starts a URL autolink at a bare ":" followed by "//", a www autolink at a bare
    # "www."; linkify-style parsers also need the bare "." of a domain and the bare "@".
    bare = [tok for tok in re.findall(r"\\.|.", inline, re.S) if len(tok) == 1]
    assert not set(bare) & set(":.@"), inline
    assert_inert(text)
    if HAS_LINKIFY:
        assert "<a " not in render(inline).html


def test_md_is_per_character_so_pieces_join_safely() -> None:
    """Joining escaped pieces cannot assemble a construct none of them holds."""
    assert md("1") + md(".") == md("1.") == "1\\."
    assert md("*") + md("*PASS*") + md("*") == md("**PASS**")
    assert md("www") + md(".evil.example") == md("www.evil.example")


# --- md(): random text ----------------------------------------------------------------------

METACHARS = list("#*_`[]()<>!|~&$\\:@.-+=\n\r\t\x00\x1b\x07\x9b\u202e/ wh")
FRAGMENTS = [t for _, t in FORGED] + ["www.", "https://", "a@b.example", "&amp;", "<!--", "\\"]

hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(METACHARS)),
    st.lists(st.sampled_from(FRAGMENTS + METACHARS), max_size=12).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(hostile_text)
def test_md_property_any_text_renders_as_itself(text: str) -> None:
    assert_inert(text)
    assert_escaped(md(text))


no_space = st.text(alphabet=st.sampled_from([c for c in METACHARS if not c.isspace()] + ["é"]))


@settings(max_examples=200, deadline=None)
@given(no_space, no_space)
def test_md_of_a_concatenation_is_the_concatenation(a: str, b: str) -> None:
    assert md(a + b) == md(a) + md(b)
