"""Bytes to text the way the tools that wrote them meant it: by the byte-order mark (UTF-8,
UTF-16 and UTF-32; PowerShell's ``>`` writes UTF-16LE with one), as UTF-16 when the NUL bytes
say so without a mark, otherwise as UTF-8 with undecodable bytes replaced. Used by ``audit``
on files and by the classifier on broker bodies that are not JSON, so an id in a UTF-16 error
page is read (and learned, and scrubbed) like any other. :func:`parse_json` reads a JSON body
natively, with the standard library's reading as the fallback and the reference.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from pydantic_core import from_json

#: How much of the data the UTF-16 heuristic looks at.
SNIFF_BYTES = 8192

UTF8 = "utf-8"
# Longest first: the UTF-32LE mark begins with the UTF-16LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)


def sniff_utf16(data: bytes | bytearray) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit at alternating positions (mostly-ASCII
    text written as UTF-16 without a mark), else None."""
    sample = data[:SNIFF_BYTES]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    pairs = len(sample) // 2
    if pairs == 0:
        return None
    # At least 30% of the code units carry a NUL on one side and almost none on the other:
    # binary data (NULs everywhere) and UTF-32 (NULs on both sides) do not qualify.
    threshold = max(1, pairs * 3 // 10)
    if odd >= threshold and even * 10 <= odd:
        return "utf-16-le"
    if even >= threshold and odd * 10 <= even:
        return "utf-16-be"
    return None


def decode(data: bytes | bytearray) -> tuple[str, str]:
    """The text of a file and the encoding it was read as (``utf-8`` also for a UTF-8 BOM)."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace"), name
    sniffed = sniff_utf16(data)
    if sniffed is not None:
        return data.decode(sniffed, errors="replace"), sniffed
    return data.decode(UTF8, errors="replace"), UTF8


def parse_json(data: str | bytes | bytearray) -> Any:
    """``json.loads(data)``, parsed natively where it can be. ``pydantic_core.from_json`` reads
    a 90 MB book in about two thirds of the time and, sharing each repeated short string
    (symbols, statuses, every row's keys), into about 60% of the memory. What it refuses (a
    lone surrogate escape, a UTF-16 body, nesting past its limit) goes to ``json.loads``,
    which then decides exactly as before; on everything both accept they agree (the tests
    hold them to it)."""
    try:
        return from_json(data, cache_strings="all")
    except (ValueError, TypeError):  # (TypeError: a str holding a lone surrogate)
        return json.loads(data)
