"""Reading through the index: decoding, binary detection, evidence hashes."""

import hashlib
from pathlib import Path

import pytest

from pta_analyzer.evidence import EvidenceKind, hash_snippet, make_display, redact
from pta_analyzer.index import RepoIndex
from pta_analyzer.walk import SkipReason
from tests.analyzer.conftest import MakeRepo


def reference_hash(data: bytes, start: int, end: int) -> str:
    """What any reader computes with three lines of Python."""
    lines = data.decode("utf-8").splitlines()
    return hashlib.sha256("\n".join(lines[start - 1 : end]).encode()).hexdigest()


def test_evidence_hash_matches_a_plain_python_reader(make_repo: MakeRepo) -> None:
    data = b"first\r\nsecond\nthird\n"
    index = make_repo({"f.txt": data})

    evidence = index.read("f.txt").evidence(2, 3)  # type: ignore[union-attr]

    assert evidence.snippet_hash == reference_hash(data, 2, 3)
    assert evidence.location == "f.txt:2-3"


def test_utf16_with_bom_is_decoded(make_repo: MakeRepo) -> None:
    index = make_repo({"requirements.txt": "flask==3.0.0\n".encode("utf-16")})

    source = index.read("requirements.txt")

    assert source is not None
    assert source.lines == ("flask==3.0.0",)
    assert source.encoding.startswith("utf-16")


def test_utf8_bom_is_kept_in_the_hash_but_not_in_the_lines(make_repo: MakeRepo) -> None:
    data = b"\xef\xbb\xbfFROM python:3.11\n"
    index = make_repo({"Dockerfile": data})

    source = index.read("Dockerfile")

    assert source is not None and source.lines[0] == "FROM python:3.11"
    assert source.evidence(1).snippet_hash == reference_hash(data, 1, 1)


def test_one_line_evidence_hashes_and_shows_like_any_range(
    make_repo: MakeRepo,
) -> None:
    data = "\ufeffimport os\n  PASSWORD = 'hunter2-hunter2'  \n".encode()
    source = make_repo({"settings.py": data}).read("settings.py")
    assert source is not None

    first, second = source.evidence(1), source.evidence(2, 2)

    assert first.snippet_hash == hash_snippet(["\ufeffimport os"])
    assert first.display == make_display(["import os"]) == "import os"
    assert second.snippet_hash == hash_snippet([source.lines[1]])
    assert second.display == make_display([source.lines[1]]) == "PASSWORD = '***'"


@pytest.mark.parametrize(
    "text",
    ["", "\n", "a", "a\n", "a\n\n", "\n\na", "a\r\nb", "a\rb\n", "a\x0bb",
     "a\x0cb", "a\x1cb\n", "a\x1db\x1ec", "\u00e9\u2028x\n", "\u00e9\u2029x",
     "\u00e9\x85x", "\u00e9\nx\n"],
)  # fmt: skip
def test_lines_and_text_are_those_of_splitlines(make_repo: MakeRepo, text: str) -> None:
    source = make_repo({"f.txt": text.encode()}).read("f.txt")

    assert source is not None
    assert source.lines == tuple(text.splitlines())
    assert source.text == "\n".join(text.splitlines())


def test_latin1_text_is_decoded_with_replacements(make_repo: MakeRepo) -> None:
    index = make_repo({"notes.txt": "caf\xe9 PORT=80\n".encode("latin-1")})

    source = index.read("notes.txt")

    assert source is not None
    assert source.encoding == "utf-8-replaced"
    assert "PORT=80" in source.lines[0]


def test_binary_file_with_text_extension_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo({"tool.py": b"\x00\x01\x02binary", "ok.py": "x = 1\n"})

    assert index.read("tool.py") is None
    assert {e.path: e.reason for e in index.skipped} == {"tool.py": SkipReason.BINARY}


def test_whole_file_evidence_carries_the_bytes_hash(make_repo: MakeRepo) -> None:
    data = b"lockfileVersion: 3\npackages: {}\n"
    index = make_repo({"pnpm-lock.yaml": data})

    evidence = index.existence_evidence("pnpm-lock.yaml")

    assert evidence is not None
    assert evidence.kind is EvidenceKind.FILE
    assert evidence.file_sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.snippet_hash == hash_snippet(["lockfileVersion: 3"])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"no final newline",
        b"one\ntwo\n",
        b"blank lines after\n\n\n",
        "caf\u00e9 \u2028 \U0001f600\n".encode(),
        b"crlf\r\nlines\r\n",
        b"\xef\xbb\xbfbom\n",
        b"latin-1 caf\xe9\n",
        "utf-16\n".encode("utf-16"),
    ],
)
def test_whole_file_hash_is_the_bytes_hash_however_decoded(
    make_repo: MakeRepo, data: bytes
) -> None:
    index = make_repo({"f.txt": data})

    source = index.read("f.txt")

    assert source is not None
    assert source.file_evidence().file_sha256 == hashlib.sha256(data).hexdigest()


def test_too_large_file_still_has_existence_evidence(tmp_path: Path) -> None:
    from pta_analyzer.walk import WalkLimits

    (tmp_path / "package-lock.json").write_text("{\n" + " " * 5000 + "}\n")
    index = RepoIndex(tmp_path, WalkLimits(max_file_bytes=100))

    evidence = index.existence_evidence("package-lock.json")

    assert index.read("package-lock.json") is None
    assert evidence is not None and evidence.display == "{"


def test_out_of_range_evidence_is_refused(make_repo: MakeRepo) -> None:
    source = make_repo({"a.txt": "one\n"}).read("a.txt")

    assert source is not None
    try:
        source.evidence(2)
    except ValueError as error:
        assert "no lines 2-2" in str(error)
    else:
        raise AssertionError("evidence beyond the last line was accepted")


def test_redaction_hides_named_secrets_and_url_passwords() -> None:
    shown = redact('API_KEY="sk_live_abcdef" url=postgres://app:hunter2@db/app')

    assert "sk_live_abcdef" not in shown
    assert "hunter2" not in shown
    assert "API_KEY" in shown


def test_redaction_keeps_references_to_variables() -> None:
    assert redact("SECRET_KEY = os.environ['SECRET_KEY']") == (
        "SECRET_KEY = os.environ['SECRET_KEY']"
    )


def test_existence_evidence_of_an_empty_file_validates(make_repo: MakeRepo) -> None:
    from pta_analyzer.validate import evidence_problems

    index = make_repo({"empty.txt": ""})

    evidence = index.existence_evidence("empty.txt")

    assert evidence is not None
    document = {"evidence": [evidence.to_json()]}
    assert evidence_problems("x.json", document, index.root) == []
