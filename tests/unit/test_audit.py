"""``audit`` reads what the tool and a user's shell write: any Unicode encoding, files behind
symbolic links, and rule names that rich would otherwise turn into emoji."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jainam_validate import audit as auditing
from jainam_validate.audit import AuditResult, files_under
from jainam_validate.cli import app
from jainam_validate.decoding import decode, sniff_utf16
from jainam_validate.redact import Redactor
from jainam_validate.scanner import Finding, Scanner

SECRET = "Mk$29#xQ0pL-validation"
# the secret on line 3, column 5 (CRLF line ends, as PowerShell writes them)
TEXT = "GET /x ok\r\nsecond line\r\nkey Mk$29#xQ0pL-validation here\r\n"


def scanner() -> Scanner:
    redactor = Redactor(b"k" * 32)
    redactor.add_secret(SECRET)
    return Scanner(redactor)


def run(*paths: Path) -> AuditResult:
    return auditing.audit(list(paths), scanner())


def lines(result: AuditResult) -> list[str]:
    return [f.line() for f in result.findings]


def invoke(*args: str, secret: str | None = SECRET) -> tuple[int, str, str]:
    env = {"JAINAM_INTERACTIVE_API_SECRET": secret} if secret else {}
    result = CliRunner().invoke(app, ["audit", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


# -- encodings --------------------------------------------------------------------------------
ENCODED = [
    ("utf-16-le-bom", codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
    ("utf-16-be-bom", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
    ("utf-32-le-bom", codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le"),
    ("utf-32-be-bom", codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "utf-32-be"),
    ("utf-8-bom", codecs.BOM_UTF8 + TEXT.encode(), "utf-8"),
    ("utf-16-le", TEXT.encode("utf-16-le"), "utf-16-le"),
    ("utf-16-be", TEXT.encode("utf-16-be"), "utf-16-be"),
    ("utf-8", TEXT.encode(), "utf-8"),
]


@pytest.mark.parametrize(
    ("data", "encoding"), [e[1:] for e in ENCODED], ids=[e[0] for e in ENCODED]
)
def test_each_encoding_decodes_to_the_text_without_its_mark(data: bytes, encoding: str) -> None:
    assert decode(data) == (TEXT, encoding)


@pytest.mark.parametrize(
    ("data", "encoding"), [e[1:] for e in ENCODED], ids=[e[0] for e in ENCODED]
)
def test_a_secret_is_found_in_every_encoding_at_its_decoded_line_and_column(
    data: bytes, encoding: str
) -> None:
    log = Path("app.log")
    log.write_bytes(data)
    result = run(log)
    assert result.files == 1
    assert lines(result) == ["app.log:3:5: secret"]
    shown = None if encoding == "utf-8" else encoding
    assert result.findings[0].encoding == shown
    assert result.encodings == ({} if shown is None else {"app.log": shown})


def test_powershell_redirect_output_with_non_ascii_text_is_read() -> None:
    # `echo ... > out.txt` in Windows PowerShell 5: UTF-16LE with a BOM
    text = "नमस्ते ₹ 1,00,000\nsecretKey=" + SECRET + "\n"
    Path("out.txt").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert [(f.finding.line, f.finding.rule) for f in run(Path("out.txt")).findings] == [
        (2, "secret")
    ]


def test_plain_utf8_with_undecodable_bytes_is_still_scanned() -> None:
    Path("mixed.log").write_bytes(b"\xc3\x28\xfd junk\nkey " + SECRET.encode() + b"\n")
    assert lines(run(Path("mixed.log"))) == ["mixed.log:2:5: secret"]


def test_the_utf16_sniffer_leaves_binary_and_utf32_alone() -> None:
    assert sniff_utf16(bytes(range(256)) * 16) is None  # NULs, but not alternating
    assert sniff_utf16(bytes(4096)) is None  # all NULs: both sides
    assert sniff_utf16("plain text".encode("utf-32-le")) is None
    assert sniff_utf16(b"") is None and sniff_utf16(b"a") is None
    assert sniff_utf16("ok".encode("utf-16-le")) == "utf-16-le"
    assert decode(b"a\x00b\x00c")[0].startswith("ab")  # an odd trailing byte is replaced


# -- symbolic links ---------------------------------------------------------------------------
def real_file(name: str = "real/file.json") -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEXT)
    return path


def test_a_linked_file_is_scanned_and_the_finding_says_where_the_link_points() -> None:
    target = real_file()
    Path("evidence/x").mkdir(parents=True)
    Path("evidence/x/link.json").symlink_to(Path("../../real/file.json"))
    result = run(Path("evidence"))
    assert result.files == 1
    assert lines(result) == [f"evidence/x/link.json -> {target.resolve()}:3:5: secret"]
    assert result.findings[0].link_target == str(target.resolve())


def test_a_file_reached_directly_and_through_a_link_is_scanned_once_under_its_own_name() -> None:
    real_file("evidence/a/file.json")
    Path("evidence/b").mkdir()
    Path("evidence/b/alias.json").symlink_to(Path("../a/file.json").as_posix())
    Path("evidence/0-first.json").symlink_to("a/file.json")  # walked before the real one
    result = run(Path("evidence"), Path("evidence/a/file.json"))
    assert result.files == 1
    assert lines(result) == ["evidence/a/file.json:3:5: secret"]


def test_a_linked_folder_is_walked_and_findings_name_the_real_file() -> None:
    target = real_file("outside/deep/a.log")
    Path("evidence").mkdir()
    Path("evidence/linked").symlink_to(Path("../outside"), target_is_directory=True)
    result = run(Path("evidence"))
    assert result.files == 1
    assert lines(result) == [f"evidence/linked/deep/a.log -> {target.resolve()}:3:5: secret"]


def test_link_loops_end_and_every_real_file_is_scanned_once() -> None:
    real_file("evidence/a/one.log")
    real_file("evidence/b/two.log")
    Path("evidence/a/up").symlink_to("..", target_is_directory=True)  # to an ancestor
    Path("evidence/a/to-b").symlink_to("../b", target_is_directory=True)  # a <-> b
    Path("evidence/b/to-a").symlink_to("../a", target_is_directory=True)
    Path("evidence/a/again").symlink_to("../a", target_is_directory=True)  # to itself
    Path("evidence/me").symlink_to("me")  # a link to itself: never resolves
    Path("evidence/ping").symlink_to("pong")  # two links to each other
    Path("evidence/pong").symlink_to("ping")
    result = run(Path("evidence"))
    assert result.files == 2
    assert sorted(lines(result)) == [
        "evidence/a/one.log:3:5: secret",
        "evidence/b/two.log:3:5: secret",
        "evidence/me -> me:1:1: unscanned:link-loop",
        "evidence/ping -> pong:1:1: unscanned:link-loop",
        "evidence/pong -> ping:1:1: unscanned:link-loop",
    ]


def test_a_dangling_link_is_a_finding_not_a_silent_skip() -> None:
    real_file("evidence/ok.log")
    Path("evidence/gone.json").symlink_to("deleted.json")
    result = run(Path("evidence"))
    assert result.files == 1
    assert f"evidence/gone.json -> {Path('evidence/deleted.json').resolve()}:1:1: " in (
        "\n".join(lines(result))
    )
    rules = [f.finding.rule for f in result.findings]
    assert rules == ["unscanned:dangling-link", "secret"]
    # a named dangling link is reported the same way, not as a missing path
    named = run(Path("evidence/gone.json"))
    assert named.files == 0 and [f.finding.rule for f in named.findings] == [
        "unscanned:dangling-link"
    ]


def test_a_folder_of_only_links_is_scanned() -> None:
    for i in range(3):
        real_file(f"store/run{i}.json")
    Path("evidence").mkdir()
    for i in range(3):
        Path(f"evidence/run{i}.json").symlink_to(Path(f"../store/run{i}.json"))
    result = run(Path("evidence"))
    assert result.files == 3
    assert [f.link_target for f in result.findings] == [
        str(Path(f"store/run{i}.json").resolve()) for i in range(3)
    ]


def test_files_under_skips_fifos_instead_of_blocking_on_them() -> None:
    real_file("evidence/ok.log")
    os.mkfifo("evidence/pipe")
    assert [e.path for e in files_under([Path("evidence")])] == [Path("evidence/ok.log")]


def test_an_unreadable_folder_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    real_file("evidence/ok.log")
    Path("evidence/locked").mkdir()
    listdir = os.listdir

    def refuse(path: Path) -> list[str]:  # as for a folder of mode 000 (root reads any)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return listdir(path)

    monkeypatch.setattr(os, "listdir", refuse)
    result = run(Path("evidence"))
    assert result.files == 1
    assert lines(result) == [
        "evidence/locked:1:1: unscanned:unreadable",
        "evidence/ok.log:3:5: secret",
    ]


# -- the command ------------------------------------------------------------------------------
def test_cli_finds_a_configured_secret_in_a_utf16_file_with_a_bom() -> None:
    Path("evidence").mkdir()
    Path("evidence/out.txt").write_bytes(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"))
    code, out, err = invoke("evidence")
    assert code == 1, err
    assert out == "evidence/out.txt:3:5: secret:configured\n"
    assert "1 files scanned" in err and SECRET not in out + err


def test_cli_names_the_link_target_and_the_encoding_in_json() -> None:
    target = Path("real/file.json")
    target.parent.mkdir()
    target.write_bytes(TEXT.encode("utf-16-be"))
    Path("evidence").mkdir()
    Path("evidence/link.json").symlink_to(Path("../real/file.json"))
    code, out, _ = invoke("evidence", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["files"] == 1
    assert data["encodings"] == {"evidence/link.json": "utf-16-be"}
    assert data["findings"] == [
        {
            "path": "evidence/link.json",
            "line": 3,
            "column": 5,
            "rule": "secret:configured",
            "link_target": str(target.resolve()),
            "encoding": "utf-16-be",
        }
    ]
    code, text, _ = invoke("evidence")
    assert text == f"evidence/link.json -> {target.resolve()}:3:5: secret:configured\n"


def test_cli_a_folder_of_links_is_not_zero_files() -> None:
    real_file("store/a.json")
    Path("evidence").mkdir()
    Path("evidence/a.json").symlink_to(Path("../store/a.json"))
    code, _, err = invoke("evidence", secret=None)
    assert code == 0, err
    assert "1 files scanned" in err and "0 files" not in err


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_cli_an_empty_folder_is_exit_2_with_one_line_saying_so(json_out: bool) -> None:
    Path("evidence").mkdir()
    code, out, err = invoke("evidence", *(["--json"] if json_out else []))
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "nothing could be scanned" in errors[0] and "evidence" in errors[0]
    assert "0 files scanned" not in out + err
    if json_out:
        assert json.loads(out)["exit_code"] == 2
    else:
        assert out == ""


def test_cli_a_folder_of_dangling_links_is_exit_2_and_lists_them() -> None:
    Path("evidence").mkdir()
    Path("evidence/a.json").symlink_to("gone.json")
    code, out, err = invoke("evidence")
    assert code == 2
    assert out.endswith(":1:1: unscanned:dangling-link\n")
    assert out.startswith("evidence/a.json -> ")
    assert "nothing could be scanned" in err and "only 1 dangling-link; fix those" in err


def test_cli_rule_names_arrive_byte_for_byte_not_as_emoji() -> None:
    # the secret as HTML entities (an echoed error page): rule "encoded:secret:configured",
    # which rich would print as "encoded㊙configured"
    Path("page.html").write_text("<pre>" + "".join(f"&#{ord(c)};" for c in SECRET) + "</pre>\n")
    code, out, _ = invoke("page.html")
    assert code == 1
    assert "page.html:1:1: encoded:secret:configured\n" in out
    assert "㊙" not in out


def test_cli_markup_and_emoji_codes_in_rules_and_paths_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "[bold]:smile:[i].log"
    Path(name).write_text("anything\n")
    rule = "rule:smile:[red]x[/red]:secret:"
    monkeypatch.setattr(Scanner, "scan", lambda self, text: [Finding(rule, 0, 1, 1)])
    code, out, _ = invoke(name)
    assert code == 1
    assert out == f"{name}:1:1: {rule}\n"


def test_cli_a_file_name_with_control_characters_is_made_inert() -> None:
    name = "evil\x1b[2Jname.log"
    Path(name).write_text(TEXT)
    code, out, _ = invoke(name)
    assert code == 1
    assert "\x1b" not in out and "evil\\x1b[2Jname.log:3:5: secret:configured" in out


def test_cli_a_missing_path_is_still_a_usage_error() -> None:
    code, out, err = invoke("no-such-dir")
    assert code == 2 and "no-such-dir: no such file or directory" in err


def test_audit_and_harness_seed_the_same_configured_values() -> None:
    """audit knows what a pass knows: the four credentials, both session tokens and the client
    code, from env/.env; each value given is counted once."""
    from jainam_validate.audit import configured_values
    from jainam_validate.redact import Redactor
    from jainam_validate.settings import Layers

    env = {
        "JAINAM_INTERACTIVE_API_KEY": "ik-0123456789",
        "JAINAM_INTERACTIVE_API_SECRET": "is$0123456789",
        "JAINAM_MARKET_API_KEY": "mk-0123456789",
        "JAINAM_MARKET_API_SECRET": "ms$0123456789",
        "JAINAM_INTERACTIVE_SESSION_TOKEN": "eyJtokenInteractive0123",
    }
    dotenv = {"JAINAM_MARKET_SESSION_TOKEN": "eyJtokenMarket0123", "JAINAM_CLIENT_ID": "DLR4242"}
    client, secrets = configured_values(Layers(env, dotenv, None))
    assert client == "DLR4242"
    assert sorted(v for v, _ in secrets) == sorted([*env.values(), "eyJtokenMarket0123"])
    redactor = Redactor(b"k" * 32)
    assert redactor.seed(client, secrets) == 7
    text = " ".join([*env.values(), "eyJtokenMarket0123", "DLR4242"])
    scrubbed = redactor.scrub(text)
    for value in [*env.values(), "eyJtokenMarket0123", "DLR4242"]:
        assert value not in scrubbed
