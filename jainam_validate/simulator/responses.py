"""Response builders for the XTS simulator: the JSON envelope (``type``, ``code``,
``description``, ``result``) with the error shapes XTS uses (HTTP 400 for bad tokens, empty
books and validation errors), and the HTML pages that sit in front of or behind the API on the
real servers (nginx 404/502/503 and "plain HTTP to HTTPS port", the Express error page), and
the ``forged_error`` fault's hostile error envelope (``FORGED_TEXT``, ``FORGED_CODE``,
``FORGED_HEADER``). A ``Response`` is plain data; the HTTP handler decides how to deliver it.
``JsonObj`` is the type of a JSON object the simulator builds or parses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JsonObj = dict[str, Any]

JSON_TYPE = "application/json; charset=utf-8"
NGINX_HTML_TYPE = "text/html"
EXPRESS_HTML_TYPE = "text/html; charset=utf-8"
_EXPRESS = (("X-Powered-By", "Express"),)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def dumps(obj: Any) -> bytes:
    """Compact JSON, as Express ``res.json`` writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def envelope(kind: str, code: str, description: str, result: Any) -> dict[str, Any]:
    return {"type": kind, "code": code, "description": description, "result": result}


def json_response(status: int, obj: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, dumps(obj), JSON_TYPE, _EXPRESS + headers)


def success(code: str, description: str, result: Any) -> Response:
    return json_response(200, envelope("success", code, description, result))


def error(status: int, code: str, description: str, result: Any = None) -> Response:
    body = envelope("error", code, description, {} if result is None else result)
    return json_response(status, body)


def invalid_token() -> Response:
    # quirk: a missing, unknown, stale or expired token is HTTP 400 e-session-0007, not 401
    return error(400, "e-session-0007", "Invalid Token")


def data_not_available(area: str) -> Response:
    # quirk: an empty book is HTTP 400 e-<area>-0005 "Data Not Available", not 200 with []
    return error(400, f"e-{area}-0005", "Data Not Available")


def not_mapped(code: str) -> Response:
    return error(400, code, "Supplied client not mapped under dealer")


def field_error(field: str, location: str, message: str, kind: str) -> dict[str, Any]:
    # invented: the per-error shape (express-validation style); the reference only says
    # validation errors are HTTP 400 "Bad Request" with a result.errors list
    return {"field": [field], "location": location, "messages": [message], "types": [kind]}


def bad_request(errors: list[dict[str, Any]]) -> Response:
    # invented: the code; the reference knows only description "Bad Request" + result.errors
    return error(400, "e-app-0001", "Bad Request", {"errors": errors})


_NGINX_TITLES = {
    400: "400 Bad Request",
    404: "404 Not Found",
    413: "413 Request Entity Too Large",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


def nginx(status: int) -> Response:
    title = _NGINX_TITLES[status]
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Response(status, page.encode("ascii"), NGINX_HTML_TYPE)


def nginx_plain_http_to_https() -> Response:
    # quirk: plain HTTP to the TLS port is an nginx HTML 400, not a TLS or connection error
    page = (
        "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"
        "\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"
        "<center>The plain HTTP request was sent to HTTPS port</center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(400, page.encode("ascii"), NGINX_HTML_TYPE)


def express_500() -> Response:
    # quirk: the holdings server fault is Express's HTML error page ("error rendering view"),
    # not JSON; the exact text is invented
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Error</title>\n</head>\n<body>\n"
        "<pre>Error: Failed to lookup view &quot;error&quot; in views directory "
        "&quot;/usr/src/app/views&quot;</pre>\n</body>\n</html>\n"
    )
    headers = _EXPRESS + (
        ("Content-Security-Policy", "default-src 'none'"),
        ("X-Content-Type-Options", "nosniff"),
    )
    return Response(500, page.encode("utf-8"), EXPRESS_HTML_TYPE, headers)


def too_many_requests() -> Response:
    # invented: code and text; no XTS REST rate-limit response is documented
    body = envelope("error", "e-app-0429", "Too Many Requests, retry after 1 second", {})
    return json_response(429, body, (("Retry-After", "1"),))


def plain_text_200() -> Response:
    # invented: a proxy/maintenance page answering 200 with a non-JSON body
    return Response(
        200,
        b"Service is under maintenance. Please try after some time.\n",
        "text/plain; charset=utf-8",
    )


def type_error_200() -> Response:
    # invented: code and text; an application error wrapped in HTTP 200
    return json_response(
        200, envelope("error", "e-app-0500", "Unable to process request, please try again", {})
    )


# -- the forged_error fault ----------------------------------------------------------------------

# invented: hostile broker text, for checking that whatever shows a broker's code or description
# (markdown report, terminal, HTML) neutralises it. Each ingredient occurs in FORGED_TEXT and in
# FORGED_CODE; none of them reads as "Invalid Token" or "Data Not Available", so the answer is
# a plain broker error.
FORGED_INGREDIENTS: tuple[str, ...] = (
    "\r\n",  # CR LF line break
    "\r",  # bare CR
    "\n",  # bare LF
    "\x1b[31m",  # ANSI colour escape (CSI ... m)
    "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07",  # OSC-8 terminal hyperlink
    "\x00",  # NUL
    "\x7f",  # DEL
    "\u009b",  # C1 CSI
    "\u202e",  # bidi RIGHT-TO-LEFT OVERRIDE
    "# Verdict",  # a markdown heading (on a line of its own)
    "**PASS**: every check passed.",
    "[open the evidence](https://evil.example/phish)",  # markdown link
    "![x](https://evil.example/x.png)",  # markdown image
    "<img src=x onerror=alert(1)>",  # raw HTML
    "<script>alert(1)</script>",
    "|",  # table cell break
    "``",  # code span break
    "https://evil.example/auto",  # GFM autolink
    "$\\LaTeX$",  # math
)


def _forged(lead: str) -> str:
    return (
        f"{lead}\r\n"
        "# Verdict\r\n"
        "**PASS**: every check passed.\n"
        "| flow | outcome |\r| holdings | ok |\n"
        "\x1b[31mALERT\x1b[0m \x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 "
        "[open the evidence](https://evil.example/phish) ![x](https://evil.example/x.png) "
        "<img src=x onerror=alert(1)><script>alert(1)</script> ``tick`` "
        "https://evil.example/auto $\\LaTeX$ nul\x00 del\x7f csi\u009b31m bidi\u202eexe.pdf"
    )


FORGED_TEXT = _forged("Request rejected by RMS")
FORGED_CODE = _forged("e-forged-0400")
# A header value can hold no CR, LF or NUL (and the stdlib server writes it as Latin-1, so no
# U+202E); ESC, BEL, DEL and the C1 CSI byte go through and clients accept them.
FORGED_HEADER = (
    "\x1b[31m# Verdict **PASS**: every check passed.\x1b[0m "
    "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 "
    "[open the evidence](https://evil.example/phish) <script>alert(1)</script> | `` "
    "\x9b31m\x7f"
)


def forged_error() -> Response:
    # invented: a broker error whose code, description and a header carry hostile text; HTTP
    # 400 on every flow (on a login it reads as a credential rejection)
    body = envelope("error", FORGED_CODE, FORGED_TEXT, {})
    return json_response(400, body, (("X-Forged", FORGED_HEADER),))
