"""Inert text: make a string that came from the broker safe to show, so it can only ever be read,
never obeyed. :func:`visible` is for the terminal, JUnit messages and plain logs: one line, every
control and invisible formatting character shown as a Python-style escape, so ANSI/OSC-8
sequences, NUL and bidi overrides cannot recolour, relink, truncate or reorder what QA sees.
:func:`md` is for report.md and the GitHub job summary: :func:`visible`, then backslash escapes
so the text renders as itself wherever it lands inline (paragraph, list item, table cell) and
cannot forge a heading, a verdict, a link, an image, raw HTML or a table cell. Pure functions,
no I/O, stdlib only.
"""

from __future__ import annotations

import re
import string
import unicodedata

# Every line break a terminal, an XML reader or Python's str.splitlines would honour, CRLF as
# one. VT and FF are here too: they move the cursor like a line break.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")

# Shown as escapes: controls (C0, DEL, C1), format characters (bidi overrides and isolates,
# zero-width characters, BOM, soft hyphen, tags), lone surrogates, and the line and paragraph
# separators (already folded, listed for completeness).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# ASCII punctuation md() leaves bare. None of these opens, closes or continues any
# CommonMark or GFM construct on its own: ( only matters after ], " and ' only inside a link
# title, ; only ends an entity begun by &, / only after < or in scheme:// (: is escaped), and
# , and ? have no role at all. Every other ASCII punctuation character is escaped.
_MD_BARE = frozenset("\"'(,/;?")
_MD_ESCAPED = frozenset(string.punctuation) - _MD_BARE
_MD_SPECIAL = re.compile("[" + re.escape("".join(sorted(_MD_ESCAPED))) + "]")


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"  # as Python writes it: `\u` and 5 hex digits would be ambiguous


def visible(text: str) -> str:
    """``text`` as one line of plain, inert characters, for the terminal, JUnit and logs.

    Every line break (CRLF, LF, CR, NEL, U+2028, U+2029, VT, FF) becomes one space, and so does
    a tab (its width is the viewer's choice, and in markdown a tab can open a code block). Every
    other control or invisible formatting character (categories Cc, Cf, Cs: C0, DEL, C1, bidi
    overrides and isolates, zero-width characters, BOM, soft hyphen, lone surrogates) is shown
    as an escape: ``\\x1b`` below U+0100, ``\\u202e`` in the BMP, ``\\U000e0041`` above, hex in
    lower case. An escape sequence (CSI, OSC 8 hyperlink) therefore prints as text, ESC and all.
    A literal backslash is doubled, so ``\\x1b`` in the output always means a real ESC and a
    broker cannot fake one: reading left to right, ``\\\\`` is a backslash and any other
    backslash starts an escape. Everything else, non-ASCII letters and emoji included, is kept.
    """
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text  # the common case: nothing to fold or escape
    out: list[str] = []
    for char in _LINE_BREAK.sub(" ", text):
        if char == "\\":
            out.append("\\\\")
        elif char == "\t":
            out.append(" ")
        elif unicodedata.category(char) in _HIDDEN_CATEGORIES:
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def md(text: str) -> str:
    """``text`` for markdown: renders as exactly ``visible(text)``, wherever it is put inline.

    :func:`visible` first (one line, no control characters), then leading and trailing spaces
    are dropped (four leading spaces would open a code block, two trailing a hard line break;
    markdown collapses them anyway), then every ASCII punctuation character except
    ``" ' ( , / ; ?`` gets a backslash. CommonMark defines a backslash before *any* ASCII
    punctuation character as that literal character, and every construct the text could forge
    needs at least one of the escaped characters bare: emphasis and thematic breaks ``*`` ``_``
    ``-``, code spans and fences (backtick, ``~``), links, images, footnotes and reference
    definitions ``[ ]``, autolinks, raw HTML and blockquotes ``< >``, entities ``&``, headings
    ``#`` ``=`` ``-``, list items ``-`` ``+`` ``*`` and ``1.`` ``1)``, table cells ``|``,
    strikethrough ``~``, math ``$``, GFM URL and ``www.`` autolinks (triggered by a bare ``:``
    and a bare ``www.``) and e-mail autolinks ``@``, plus ``! % ^ { }`` for extensions (GitLab
    references and inline diffs, superscript, attribute lists). Every backslash in the result is
    the first half of such a pair, so none can escape what follows the text or end a line as a
    hard break. The escaping is per character, so ``md(a) + md(b) == md(a + b)`` when no
    spaces are stripped: pieces can be joined on one line safely.

    Not reachable by any escaping: GitHub links e-mail addresses *after* parsing, on the
    unescaped text, so ``a@b.example`` still becomes a ``mailto:`` link there, whose text is
    the address itself; likewise @mentions and ``:emoji:`` codes on platforms that apply them
    to rendered text. None of those can hide a destination or forge structure.
    """
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), visible(text).strip(" "))


#: Values that cannot form any markdown or HTML construct, left unescaped for a readable raw
#: file: timestamps, run ids, IP hosts and decimals (a digit first and no ``/``, ``@`` or
#: space, so no URL, e-mail or marker can form) and lowercase names such as ``flow:holdings``
#: or ``http_error`` (an intraword ``_`` is inert). Everything else goes through ``md``.
_PLAIN = re.compile(r"-?[0-9][0-9A-Za-z:.-]*|[a-z][a-z0-9_]*(?::[a-z0-9_]+)?")


#: A backslash before ASCII punctuation, as :func:`md` writes it.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescaped(text: str) -> str:
    """``text`` as markdown renders it: every backslash-punctuation pair :func:`md` made back
    into the punctuation (the leak guard judges a markdown file in both forms: a secret with a
    ``-`` or a ``.`` in it is not found in its escaped form)."""
    return _ESCAPED.sub(r"\1", text)


def cell(text: object) -> str:
    """Any value for a markdown table cell or line: inert (``-`` for None)."""
    value = "-" if text is None else str(text)
    return value if _PLAIN.fullmatch(value) else md(value)
