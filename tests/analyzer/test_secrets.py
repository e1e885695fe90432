"""Committed credentials: found by kind and place, never shown by value.

Planted values are assembled at run time so this file holds no string that a
secret scanner (ours included) would report.
"""

import dataclasses
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from unittest.mock import patch

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pta_analyzer.extractors import _secret_lines as secret_lines
from pta_analyzer.extractors import secrets
from pta_analyzer.extractors.secrets import extract, is_placeholder, shannon_entropy
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.index import SourceText
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified

RANDOM = "q8Zr2LmX4vTn9KpW7sYb3HcJ6dFg1AeU"  # 32 distinct characters: 5 bits each
AWS_ID = "AKIA" + "Z7QWERT2YUIOPLKJ"
AWS_SECRET = "wJal" + "rXUtnFEMI/K7MDENG/bPxRfiCYzQ8vT2mN4s"
GITHUB = "ghp" + "_" + RANDOM + "a1b2"
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0" + RANDOM
SLACK = "xox" + "b-1234567890-" + RANDOM[:24]
SLACK_HOOK = "https://hooks.slack" + ".com/services/T0AB12CD/B0CD34EF/" + RANDOM[:24]
STRIPE = "sk" + "_live_" + RANDOM[:24]
GOOGLE = "AI" + "za" + "SyD" + RANDOM
JWT = "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiIxMjM0NTY3ODkwIn0." + RANDOM
URL_PASSWORD = "Rk9" + "vmQ2x"
KEY_BODY = "MIIEpAIBAAKCAQEA" + RANDOM * 2
PRIVATE_KEY = (
    "-----BEGIN RSA " + "PRIVATE KEY-----\n" + KEY_BODY + "\n"
    "-----END RSA " + "PRIVATE KEY-----\n"
)
PLANTED = (
    AWS_ID, AWS_SECRET, GITHUB, GITHUB_PAT, SLACK, SLACK_HOOK, STRIPE, GOOGLE,
    JWT, URL_PASSWORD, KEY_BODY, RANDOM,
)  # fmt: skip


def secrets_of(make_repo: MakeRepo, files: dict[str, str | bytes]) -> list[Fact]:
    facts = extract_verified(make_repo, extract, files)
    assert all(f.kind is FactKind.SECRET for f in facts)
    return facts


def everything_said(fact: Fact) -> str:
    """Every field of a fact, as the output files would carry it."""
    data = {field.name: getattr(fact, field.name) for field in dataclasses.fields(fact)}
    data["attrs"] = dict(fact.attrs)
    data["evidence"] = [e.to_json() for e in fact.evidence]
    return json.dumps(data, default=str)


def test_each_kind_is_found_and_no_value_leaks(make_repo: MakeRepo) -> None:
    config = (
        f"aws_access_key_id = {AWS_ID}\n"
        f"aws_secret_access_key = {AWS_SECRET}\n"
        f"GH = '{GITHUB}'\n"
        f"PAT = '{GITHUB_PAT}'\n"
        f"slack = '{SLACK}'\n"
        f"hook = '{SLACK_HOOK}'\n"
        f"stripe = '{STRIPE}'\n"
        f"maps = '{GOOGLE}'\n"
        f"bearer = '{JWT}'\n"
        f"DB = 'postgres://app:{URL_PASSWORD}@db.internal:5432/app'\n"
        f"SECRET_KEY = '{RANDOM}'\n"
    )
    facts = secrets_of(
        make_repo, {"app/config.py": config, "deploy/id_rsa": PRIVATE_KEY}
    )

    assert sorted(f.key for f in facts) == sorted(
        [
            "aws-access-key-id@app/config.py:1",
            "aws-secret-access-key@app/config.py:2",
            "github-token@app/config.py:3",
            "github-token@app/config.py:4",
            "slack-token@app/config.py:5",
            "slack-webhook@app/config.py:6",
            "stripe-live-key@app/config.py:7",
            "google-api-key@app/config.py:8",
            "jwt@app/config.py:9",
            "url-password@app/config.py:10",
            "generic-secret@app/config.py:11",
            "private-key@deploy/id_rsa:1",
        ]
    )
    for fact in facts:
        said = everything_said(fact)
        for value in PLANTED:
            assert value not in said, fact.key
        assert fact.evidence[0].display == f"{fact.attrs['kind']} (value redacted)"
        assert fact.status is Status.EVIDENCED


def test_private_key_cites_the_whole_block(make_repo: MakeRepo) -> None:
    facts = secrets_of(make_repo, {"certs/key.pem": "# key\n" + PRIVATE_KEY})

    assert [f.evidence[0].location for f in facts] == ["certs/key.pem:2-4"]


def test_elided_private_key_in_docs_is_skipped(make_repo: MakeRepo) -> None:
    text = "-----BEGIN " + "PRIVATE KEY-----\n...\n-----END " + "PRIVATE KEY-----\n"
    facts = secrets_of(make_repo, {"README.md": text})

    assert facts == []


def test_generic_assignment_names_the_variable(make_repo: MakeRepo) -> None:
    facts = secrets_of(make_repo, {"application.properties": f"jwt.secret={RANDOM}\n"})

    assert [(f.key, dict(f.attrs)) for f in facts] == [
        (
            "generic-secret@application.properties:1",
            {"kind": "generic-secret", "name": "jwt.secret"},
        )
    ]


def test_hex_secret_uses_the_hex_threshold(make_repo: MakeRepo) -> None:
    hex_key = "b8008800973c064a2f1e9d7c5b3a1f0e"
    facts = secrets_of(
        make_repo, {"config/secrets.yml": f"  secret_key_base: {hex_key}\n"}
    )

    assert [f.key for f in facts] == ["generic-secret@config/secrets.yml:1"]


def test_low_entropy_and_references_are_not_secrets(make_repo: MakeRepo) -> None:
    code = (
        "PASSWORD = 'aaaaaaaaaaaaaaaaaaaa'\n"
        "SECRET_KEY = os.environ['SECRET_KEY']\n"
        "api_token: ${API_TOKEN_FROM_ENV}\n"
        "password_field = 'password_confirmation'\n"
        "TOKEN = settings.GITHUB_TOKEN_VALUE\n"
        "secret_hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4'\n"
        "$env.config.hooks.env_change.PWD = ($env.config.hooks.env_change.PWD)\n"
        "password = 'short1'\n"
        "DSN = 'mysql://$(DB_USER):$(DB_PASS)@tcp(db)/x'\n"
    )
    facts = secrets_of(make_repo, {"settings.py": code})

    assert facts == []


def test_placeholders_are_skipped(make_repo: MakeRepo) -> None:
    code = (
        "SECRET_KEY = 'changeme-please-0123456789'\n"
        "API_KEY = 'your-api-key-goes-here-1234'\n"
        "TOKEN = '<paste-your-token-here-123>'\n"
        "aws = 'AKIAIOSFODNN7EXAMPLE'\n"
        "DB = 'postgres://user:xxx@localhost/db'\n"
        "password: dummy-Password-9f8e7d6c\n"
    )
    facts = secrets_of(make_repo, {"config.py": code})

    assert facts == []


def test_lockfiles_are_skipped(make_repo: MakeRepo) -> None:
    lock = f'"resolved": "https://u:{URL_PASSWORD}@registry/x", "token": "{RANDOM}"\n'
    facts = secrets_of(make_repo, {"package-lock.json": lock, "yarn.lock": lock})

    assert facts == []


def test_test_fixtures_are_reported_tagged_test(make_repo: MakeRepo) -> None:
    facts = secrets_of(make_repo, {"tests/fixtures/token.txt": f"t = '{GITHUB}'\n"})

    assert [(f.key, f.scope) for f in facts] == [
        ("github-token@tests/fixtures/token.txt:1", Scope.TEST)
    ]


def test_binary_and_odd_files_do_not_raise(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "blob.bin": b"\x00\x01AKIA" + b"\xff" * 100,
        "latin1.cfg": b"password = '\xe9\xe9\xe9'\n",
        "long.js": "var token='" + "a" * 10000 + "';\n",
        "unclosed.pem": "-----BEGIN " + "PRIVATE KEY-----\n" + KEY_BODY + "\n",
    }
    facts = secrets_of(make_repo, files)

    assert [f.key for f in facts] == ["private-key@unclosed.pem:1"]


def test_entropy_and_placeholder_helpers() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("abab") == 1.0
    assert shannon_entropy(RANDOM) == 5.0
    assert is_placeholder("${SECRET}")
    assert is_placeholder("your-token")
    assert not is_placeholder(RANDOM)


def test_code_expressions_paths_and_hashes_are_not_secrets(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/types.ts": (
            "export type RecoverPasswordError = RecoverPasswordErrors[keyof X];\n"
            "const PasswordInput = React.forwardRef<HTMLInputElement, Props>(\n"
        ),
        "settings.py": "PASSWORD_TEMPLATE = 'myapp/password_required_page.html'\n",
        "fixtures.json": '{"password": "pbkdf2_sha256$260000$' + RANDOM + '"}\n',
        "urls.yml": "token_target_url: https://example.org/t/8f3kQ2x9Lm\n",
    }
    facts = secrets_of(make_repo, files)

    assert facts == []


def test_unquoted_value_counts_in_env_files(make_repo: MakeRepo) -> None:
    facts = secrets_of(make_repo, {".env.example": f"JWT_SECRET={RANDOM}\n"})

    assert [f.key for f in facts] == ["generic-secret@.env.example:1"]


def test_unquoted_value_counts_outside_program_code(make_repo: MakeRepo) -> None:
    unquoted = f"JWT_SECRET={RANDOM}\n"
    files: dict[str, str | bytes] = {
        "app/settings.py": unquoted + f"API_TOKEN = {RANDOM}\n",
        "app/quoted.py": f"API_TOKEN = `{RANDOM}`\n",
        "deploy/run.sh": "# run\n" + unquoted,
        "deploy/app.yml": f"api_token: {RANDOM}\nsigning_key: {RANDOM[:20]}(x)\n",
        "deploy/Dockerfile": f"ENV API_TOKEN=\u00e9{RANDOM[:16]}\n",
    }
    facts = secrets_of(make_repo, files)

    assert sorted(f.key for f in facts) == [
        "generic-secret@app/quoted.py:1",
        "generic-secret@deploy/Dockerfile:1",
        "generic-secret@deploy/app.yml:1",
        "generic-secret@deploy/run.sh:2",
    ]


def test_program_code_is_asked_about_only_for_unquoted_values() -> None:
    """``quoted_only`` is asked of a text only when a secret-looking name is
    assigned an unquoted value there (the language is looked up lazily)."""
    quoted = f"API_TOKEN = '{RANDOM}'\nkey = 'x'\n"
    asked: list[str] = []

    def quoted_only() -> bool:
        asked.append("asked")
        return True

    for text in (quoted, quoted + "key = make_key()\n"):
        source = SourceText(path="a.py", encoding="utf-8", file_sha256="", text=text)
        found = secret_lines.candidate_lines(source, text.encode(), False, quoted_only)
        assert [line for _at, line in found] == [f"API_TOKEN = '{RANDOM}'"]
    assert asked == ["asked"]  # for the second text only


EMOJI = "\U0001f600"  # 4 bytes in UTF-8
# Each token at the shortest length its rule accepts.
SHORTEST_TOKENS = (
    AWS_ID, GITHUB, "github" + "_pat_" + RANDOM[:22], "xox" + "p-1234567890",
    "sk" + "_live_" + RANDOM[:16], GOOGLE,
    "ey" + "J0123456789.ey" + "J0123456789.0123456789",
    "https://hooks.slack" + ".com/services/T0/B0/x",
)  # fmt: skip
# Pieces of lines where the candidate searches and the generic rule have
# something to find or to get wrong: names in both cases, separators, quotes,
# long values, tokens, URLs, Unicode spaces, characters that fold to ASCII
# letters, a lone surrogate (as undecodable bytes are read).
LINE_PIECES = (
    "key", "KEY", "Token", "secret", "PassWord", "pwd", "credentials", "api_key",
    "private key-----", "-----BEGIN RSA " + "PRIVATE KEY-----", KEY_BODY[:40],
    "-----END RSA " + "PRIVATE KEY-----", "AKIA", "eyJ", "_live_", "://", "u:",
    "p@h", "@", "/", "=", ":", "=>", ":=", " ", "\t", "\x0b", "\u3000", "\xa0",
    '"', "'", "`", ",", ")", "(", ".", "-", "_", RANDOM[:8], RANDOM[8:20], "1234",
    "é", "\u0130", "\u0131", "\u017f", "\u212a", "\udc80", "\r", "\x85", "\u2192",
    EMOJI, AWS_SECRET, "aws_secret_key", *SHORTEST_TOKENS,
)  # fmt: skip
SECRET_NAMES = (
    "secret", "SECRET", "password", "PassWd", "pwd", "token", "api_key", "api-key",
    "ApiKey", "private_key", "access_key", "auth_key", "credential", "credentials",
    "signing_key", "encryption_key", "aws_secret_access_key", "passw", "key",
    "\u017fecret", "to\u212aen",
)  # fmt: skip
VALUES = (
    RANDOM, RANDOM[:16], RANDOM[:15], "b8008800973c064a2f1e9d7c5b3a1f0e",
    "0123456789abcdef", AWS_SECRET, AWS_ID, GITHUB, GITHUB_PAT, SLACK, STRIPE,
    GOOGLE, JWT, SLACK_HOOK, f"postgres://app:{URL_PASSWORD}@db/x",
    *SHORTEST_TOKENS, "${SECRET_VALUE_0123456}", "os.environ['A_B_C_D_E_F']",
    "changeme-0123456789",
    # Characters of several bytes: 16 characters are 16 bytes or more.
    "\u00e9" + RANDOM[:16], "\u20ac" + RANDOM[:15], EMOJI + RANDOM[:17],
    "\u00e9" * 3 + "0123456789ab", RANDOM[:15] + "\u00e9",
    # Brackets, which an unquoted value may not hold, and ``,;)``.
    RANDOM[:20] + "()", "[" + RANDOM + "]", RANDOM[:12] + "<x>" + RANDOM[12:24],
    RANDOM[:10] + "," + RANDOM[10:30], RANDOM[:17] + ";", RANDOM[:18] + ")",
)  # fmt: skip
pieces = st.lists(st.sampled_from(LINE_PIECES), max_size=2).map("".join)
spaces = st.sampled_from(("", " ", "\t", "\u3000", "  ", "\x1f", "\x85", "\xa0 "))
quotes = st.sampled_from(("", '"', "'", "`"))
names = st.tuples(
    st.sampled_from(("", "api_", "x.", "my-", "\u212a", "\u0131", "db")),
    st.sampled_from(SECRET_NAMES),
    st.sampled_from(("", "_base", "S", ".value", "_hash", "\u0130", "(")),
).map("".join)
assignments = st.tuples(
    pieces, names, st.sampled_from(("", '"', "'")), spaces,
    st.sampled_from(("=", ":", "=>", ":=", "==", " ", "\u2192=", "):")), spaces, quotes,
    st.sampled_from(VALUES), quotes, pieces,
).map("".join)  # fmt: skip
lines_strategy = st.one_of(
    st.lists(st.sampled_from(LINE_PIECES), max_size=14).map("".join), assignments
)
GENERIC, AWS = "generic-secret", "aws-secret-access-key"
# Lines at the edges of the narrowed searches, with the kind of what the rules
# find there outside program code, then in program code.
NARROW_EDGES = (
    (f"password\x85=\xa0`{RANDOM}`", GENERIC, GENERIC),  # Unicode spaces
    ("api_key: 0123456789abcdef", GENERIC, None),  # unquoted, 16 characters
    ('api_key = "0123456789abcdef"', GENERIC, GENERIC),  # quoted, 16 characters
    ("secret_key:\u3000\u00e9" + RANDOM[:16], GENERIC, None),  # two bytes first
    # Two bytes inside: no run of 16 ASCII characters.
    ("TOKEN=" + RANDOM[:8] + "\u00e9" + RANDOM[8:17], GENERIC, None),
    (f"password = '{RANDOM[:8]}\u00e9{RANDOM[8:17]}'", GENERIC, GENERIC),
    (f"private_key = {RANDOM[:20]}(x)", None, None),  # a bracket: code
    # The AWS secret key 6 characters from ``=`` (of 4 bytes, of several
    # kinds), then 7.
    (f"aws_secret_access_key{EMOJI * 6}=> {AWS_SECRET}", AWS, AWS),
    (f"AWS_SECRET_KEY ]}}\u2192\u2192):{AWS_SECRET}", AWS, AWS),
    (f"aws_secret_access_key{EMOJI * 7}= {AWS_SECRET}", None, None),
)
# Lines at the edges of the rules, tried first by the tests below.
EDGE_LINES = (
    f'api_key := "{RANDOM}"',  # ``:=`` then a space
    "API_KEY=" + "0123456789abcdef",  # exactly 16 characters after ``=``
    *(f"({token})" for token in SHORTEST_TOKENS),
    f"credentials = '{RANDOM}'",
    f"secret\u3000:\u3000'{RANDOM}'",
    *(line for line, _kind, _kind_in_code in NARROW_EDGES),
)
FOLDING_LINE = f"token_\u017fecret = '{RANDOM}'"  # a long s: case-insensitively s
FOLDING_LINES = (
    FOLDING_LINE,
    f"to\u212aen = '{RANDOM}'",  # the Kelvin sign lower-cases to k
    f"\u0130\u0131 api_key = '{RANDOM}'",
)
texts_strategy = st.lists(lines_strategy, min_size=1, max_size=6).map("\n".join)


def candidate_numbers(
    source: SourceText, holds_tokens: bool, quoted_only: bool
) -> set[int]:
    """Numbers of the lines ``_scan`` reads further, checked to be its lines."""
    lines, number_at = secrets._candidates(source, holds_tokens, lambda: quoted_only)
    numbers = [number_at(at) for at, _line in lines]
    assert [line for _at, line in lines] == [source.lines[n - 1] for n in numbers]
    return set(numbers)


@given(texts_strategy)
@settings(max_examples=300)
@example("\n".join(EDGE_LINES))
@example("\n".join((*EDGE_LINES, *FOLDING_LINES)))
def test_every_finding_is_on_a_candidate_line(text: str) -> None:
    source = SourceText(path="a.env", encoding="utf-8", file_sha256="", text=text)
    holds_tokens = source.holds(*secret_lines.TOKEN_WORDS)
    rules = secrets.RULES if holds_tokens else secrets._WORDLESS_RULES

    for quoted_only in (False, True):
        candidates = candidate_numbers(source, holds_tokens, quoted_only)
        for number, line in enumerate(source.lines, start=1):
            numbered = partial(int, number)
            found = secrets._finding(source, line, secrets.RULES, quoted_only, numbered)
            if found is not None:
                assert number in candidates
                assert found == secrets._finding(
                    source, line, rules, quoted_only, numbered
                )


@pytest.mark.parametrize(("line", "kind", "kind_in_code"), NARROW_EDGES)
def test_findings_at_the_edges_are_on_candidate_lines(
    line: str, kind: str | None, kind_in_code: str | None
) -> None:
    source = SourceText(path="a.env", encoding="utf-8", file_sha256="", text=line)

    for quoted_only, expected in ((False, kind), (True, kind_in_code)):
        found = secrets._finding(
            source, line, secrets.RULES, quoted_only, partial(int, 1)
        )
        assert (found and found[2]) == expected
        if found is not None:
            assert candidate_numbers(source, False, quoted_only) == {1}


@given(texts_strategy)
@settings(max_examples=300)
@example("\n".join(EDGE_LINES))
def test_hyperscan_and_re_find_the_same_candidate_lines(text: str) -> None:
    source = SourceText(path="a.env", encoding="utf-8", file_sha256="", text=text)
    holds_tokens = source.holds(*secret_lines.TOKEN_WORDS)
    data = text.encode("utf-8", "surrogatepass")
    assert secret_lines._search_scanner() is not None

    for quoted_only in (False, True):
        asked = partial(bool, quoted_only)
        found = secret_lines.candidate_lines(source, data, holds_tokens, asked)
        with patch.object(secret_lines, "_search_scanner", return_value=None):
            by_re = secret_lines.candidate_lines(source, data, holds_tokens, asked)

        assert found == by_re
        lines = text.split("\n")
        for start, line in found:
            assert line == lines[data.count(b"\n", 0, start)]


def unanchored_generic_matches(line: str) -> list[tuple[str, str, str]]:
    """What the generic rule's regex found before the speed work, gates included."""
    lowered = line.lower()
    if not any(word in lowered for word in secret_lines.SECRET_WORDS):
        return []
    if secrets._LONG_VALUE.search(line) is None:
        return []
    lookbehind = "(?<![A-Za-z0-9_.-])"
    assert lookbehind in secrets._GENERIC_PATTERN
    pattern = re.compile("(?i)" + secrets._GENERIC_PATTERN.replace(lookbehind, ""))
    return [(m["name"], m["quote"], m["value"]) for m in pattern.finditer(line)]


@given(lines_strategy)
@settings(max_examples=300)
def test_generic_matches_are_those_of_the_plain_regex(line: str) -> None:
    found = list(secrets._assignments(line, line.lower()))

    assert found == unanchored_generic_matches(line)


@pytest.mark.parametrize("line", (*EDGE_LINES, *FOLDING_LINES))
def test_generic_matches_at_the_edges_are_those_of_the_plain_regex(line: str) -> None:
    found = list(secrets._assignments(line, line.lower()))

    assert found == unanchored_generic_matches(line)


def test_lower_casing_keeps_every_code_point_as_the_generic_rule_sees_it() -> None:
    """Outside ``FOLDS_TO_ASCII``, ``str.lower`` keeps one character that each
    part of the pattern matches case-sensitively as it matched the original
    case-insensitively (only characters near the pattern's can differ)."""
    chars = "".join(
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if c not in secret_lines.FOLDS_TO_ASCII
    )
    lowered = chars.lower()
    parts = (r"[A-Za-z0-9_.-]", r"\s", "[\"'`]", r"[^\"'`\s,;)]", "=", ":", ">",
             *set("secretpasswordpwdtokenapikeyprivateaccessauthcredentials"
                  "signingencryption"))  # fmt: skip
    near = r"[A-Za-z0-9_.\-\s\"'`,;)=:>]"

    assert len(lowered) == len(chars)  # none lower-cases to two characters
    tried = {m.start() for m in re.finditer("(?i)" + near, chars)}
    tried |= {m.start() for m in re.finditer(near, lowered)}
    for at in tried:
        for part in parts:
            folded = re.fullmatch("(?i)" + part, chars[at]) is not None
            assert folded == (re.fullmatch(part, lowered[at]) is not None), (at, part)


def test_without_hyperscan_the_findings_are_the_same(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {
        "app/config.py": f"SECRET_KEY = '{RANDOM}'\nGH = '{GITHUB}'\n",
        "deploy/id_rsa": PRIVATE_KEY,
        ".env": f"DB=postgres://app:{URL_PASSWORD}@db/app\nJWT_SECRET={RANDOM}\n",
    }
    found = [f.key for f in secrets_of(make_repo, files)]
    monkeypatch.setattr(secret_lines, "_search_scanner", lambda: None)

    assert [f.key for f in secrets_of(make_repo, files)] == found
    assert len(found) == 5


def test_each_thread_scans_with_its_own_database(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {"config.py": f"SECRET_KEY = '{RANDOM}'\n"}
    indexes = [make_repo(files) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        scanners = list(pool.map(lambda _: secret_lines._search_scanner(), range(2)))
        found = list(pool.map(lambda i: [f.key for f in extract(i)], indexes))

    assert secret_lines._search_scanner() not in scanners
    assert found == [["generic-secret@config.py:1"]] * 4
