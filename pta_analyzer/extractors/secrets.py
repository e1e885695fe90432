"""Credentials committed to the repository, reported by kind and place only.

One SECRET fact per finding, keyed ``<kind>@<path>:<line>``. The evidence cites
the line (its hash proves the finding) but its ``display`` is replaced by
``"<kind> (value redacted)"``, and no field of the fact carries the value.

Rules, each with a literal keyword checked before its regex (the gitleaks
pattern): private key blocks, AWS access key ids and secret keys, GitHub,
Slack and Stripe live tokens, Slack webhooks, Google API keys, JWTs, URLs with
a password, and a high-entropy literal (Shannon entropy above 4.0 bits per
character for base64-like text, 3.0 for hex; at least 16 characters) assigned
to a name that says it holds a secret. Obvious placeholders (``changeme``,
``your-...``, ``xxx``, ``<...>``, ``${...}``, ``example``, ``dummy``, ``test``)
and lockfiles are skipped. Findings in tests are reported, tagged TEST.
"""

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import AnyStr

from pta_analyzer.facts import WEIGHT_DECLARED, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText

MIN_SECRET_CHARS = 16
BASE64_ENTROPY_BITS = 4.0  # per character, above which a literal looks random
HEX_ENTROPY_BITS = 3.0
GENERIC_MAX_LINE_CHARS = 4000  # longer lines are minified code: no generic rule
PRIVATE_KEY_MAX_LINES = 200  # how far the END line of a key block is looked for

LOCKFILES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
        "poetry.lock", "Pipfile.lock", "Cargo.lock", "go.sum", "composer.lock",
        "Gemfile.lock", "uv.lock", "pdm.lock", "mix.lock", "packages.lock.json",
        "flake.lock", ".secrets.baseline",
    }
)  # fmt: skip
# Lockfiles, build output, translations, snapshots and media hold no
# credentials a person committed; skipping them keeps the scan near read speed.
SKIPPED_SUFFIXES = (
    ".lock", ".map", ".min.js", ".min.css", ".po", ".pot", ".mo", ".snap",
    ".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".woff", ".woff2",
    ".ttf", ".eot", ".pdf", ".csv", ".tsv", ".xlf", ".xliff",
)  # fmt: skip

PASSWORD_HASH_PREFIXES = ("pbkdf2", "argon2", "bcrypt", "sha1$", "sha256$", "md5$")

# Languages where ``NAME=value`` without quotes is a literal value.
LITERAL_LANGUAGES = frozenset({"Shell", "Dockerfile", "Makefile", "PowerShell"})

PLACEHOLDER_WORDS = (
    "changeme", "change_me", "change-me", "changethis", "your-", "your_",
    "yourkey", "xxx", "example", "dummy", "test", "sample", "placeholder",
    "replace", "insert", "fake", "todo", "redacted", "****", "...",
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """A kind of secret: a cheap keyword, then a regex on the line."""

    kind: str
    keywords: tuple[str, ...]  # lower-case; a line holds one of them
    pattern: "re.Pattern[str]"


RULES = (
    Rule(
        "aws-access-key-id",
        ("akia", "asia"),
        re.compile(r"\b(?P<value>(?:AKIA|ASIA)[0-9A-Z]{16})\b"),
    ),
    Rule(
        "aws-secret-access-key",
        ("aws",),
        re.compile(
            r"(?i)aws_?secret_?(?:access_?)?key\W{0,6}(?:=|:|=>)\s*[\"']?"
            r"(?P<value>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
    ),
    Rule(
        "github-token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        re.compile(r"\b(?P<value>gh[pousr]_[A-Za-z0-9]{36,255})\b"),
    ),
    Rule(
        "github-token",
        ("github_pat_",),
        re.compile(r"\b(?P<value>github_pat_[A-Za-z0-9_]{22,255})\b"),
    ),
    Rule(
        "slack-token",
        ("xox",),
        re.compile(r"\b(?P<value>xox[baprs]-[A-Za-z0-9-]{10,})\b"),
    ),
    Rule(
        "slack-webhook",
        ("hooks.slack.com",),
        re.compile(
            r"(?P<value>hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+"
            r"/[A-Za-z0-9_]+)"
        ),
    ),
    Rule(
        "stripe-live-key",
        ("_live_",),
        re.compile(r"\b(?P<value>(?:sk|rk)_live_[A-Za-z0-9]{16,})\b"),
    ),
    Rule(
        "google-api-key",
        ("aiza",),
        re.compile(r"\b(?P<value>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])"),
    ),
    Rule(
        "jwt",
        ("eyj",),
        re.compile(
            r"\b(?P<value>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}"
            r"\.[A-Za-z0-9_-]{10,})"
        ),
    ),
    Rule(
        "url-password",
        ("://",),
        re.compile(
            r"\b[a-zA-Z][a-zA-Z0-9+.-]*://(?P<user>[^/\s:@'\"]+):"
            r"(?P<value>[^@\s/'\"]+)@[^\s/'\"]"
        ),
    ),
)

# Stems of secret-looking names ("passw" covers password and passwd, "key"
# api_key, private_key, access_key...): one substring scan each per file.
_SECRET_WORDS = ("secret", "passw", "pwd", "token", "key", "credential")
_SECRET_WORD = re.compile("|".join(_SECRET_WORDS))  # on lower-cased text
_PLACEHOLDER_WORD = re.compile("|".join(re.escape(w) for w in PLACEHOLDER_WORDS))
_PRIVATE_KEY_BEGIN = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
)
_PRIVATE_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# The name starts where a run of name characters starts: a match starting
# inside a run implies one starting at the run's first character (the prefix
# takes the rest), and ``finditer`` resumes after a quote or at a character
# no name holds, so the lookbehind removes no match; it only spares the
# engine a try at every character of every word.
_GENERIC_PATTERN = (
    r"(?<![A-Za-z0-9_.-])"
    r"(?P<name>[A-Za-z0-9_.-]*(?:secret|password|passwd|pwd|token|api_?key"
    r"|api-key|private_?key|access_?key|auth_?key|credentials?|signing_?key"
    r"|encryption_?key)[A-Za-z0-9_.-]*)[\"']?\s*(?:=|:|=>|:=)\s*"
    r"(?P<quote>[\"'`]?)(?P<value>[^\"'`\s,;)]{16,})(?P=quote)"
)
_GENERIC = re.compile("(?i)" + _GENERIC_PATTERN)
# The same without case folding, which costs the engine as much again, on the
# lower-cased line: that has the same length and the same matches when the
# line holds none of ``_FOLDS_TO_ASCII`` (the tests check every code point).
_GENERIC_LOWERED = re.compile(_GENERIC_PATTERN)
# A necessary condition of ``_GENERIC_LOWERED``, found sooner (its start is a
# literal): a stem of a secret name, the rest of the name, the separator and
# 16 characters of the value.
_ASSIGNED_SECRET = re.compile(
    "(?:" + "|".join(_SECRET_WORDS) + ")"
    r"[a-z0-9_.-]*[\"']?\s*[=:][=>]?\s*[\"'`]?[^\"'`\s,;)]{16}"
)
# Cheap shape test before ``_GENERIC``: something long after ``=`` or ``:``.
_LONG_VALUE = re.compile(r"[=:]\s*[\"'`]?[^\"'`\s,;)]{16}")
_CODE_CHARS = re.compile(r"[()\[\]<>{}]")
_BASE64ISH = re.compile(r"[A-Za-z0-9+/=_\-]+\Z")
_HEX = re.compile(r"[0-9a-fA-F]+\Z")
_REFERENCE = re.compile(
    r"^(?:\$|%\(|\{\{|<|process\.env|os\.|env\(|ENV\[|System\.|getenv|config\.|"
    r"settings\.|self\.|this\.|[A-Za-z_][\w]*\(|[A-Za-z_]+(?:\.[A-Za-z_]\w*)+$)"
)
_IDENTIFIER_LIKE = re.compile(r"[A-Za-z_]+(?:[_.-][A-Za-z]+)*\Z")

# Candidate searches over a file's UTF-8 bytes: ``(needle, regex, lowered)``.
# Each regex is a necessary condition, on the line it matches, of the rules
# named beside it; it runs over the lower-cased bytes when ``lowered``, and
# only when the needle is in them (a substring search is twice as fast as a
# regex's; an empty needle: the regex's literal start is rare enough).
_Search = tuple[bytes, "re.Pattern[bytes]", bool]
_CANDIDATE_SEARCHES: tuple[_Search, ...] = (
    (  # AWS key id, Google API key
        b"",
        re.compile(rb"A(?:KIA[0-9A-Z]{16}|SIA[0-9A-Z]{16}|Iza[0-9A-Za-z_-]{35})"),
        False,
    ),
    (b"", re.compile(rb"gh[pousr]_[A-Za-z0-9]{36}"), False),  # GitHub
    (b"github_pat_", re.compile(rb"github_pat_[A-Za-z0-9_]{22}"), False),
    (b"xox", re.compile(rb"xox[baprs]-[A-Za-z0-9-]{10}"), False),  # Slack
    (b"hooks.slack.com", re.compile(rb"hooks\.slack\.com/services/T"), False),
    (b"_live_", re.compile(rb"_live_[A-Za-z0-9]{16}"), False),  # Stripe
    (b"eyJ", re.compile(rb"eyJ[A-Za-z0-9_-]{10,}\.eyJ"), False),  # JWT
    (  # URL with a password
        b"://",
        re.compile(rb"://[^/\s:@'\"]+:[^@\s/'\"]+@[^\s/'\"]"),
        False,
    ),
    # A secret-looking name followed on its line by ``=`` or ``:`` and 16 more
    # characters (the generic rule, the AWS secret key), a private key's BEGIN.
    (b"key", re.compile(rb"key(?:-----|[^\n=:]*[=:][^\n]{16})"), True),
    *(
        (
            word.encode(),
            re.compile(rb"%s[^\n=:]*[=:][^\n]{16}" % word.encode()),
            True,
        )
        for word in _SECRET_WORDS
        if word != "key"
    ),
)
# Characters that a case-insensitive match or ``str.lower`` equates with ASCII
# letters (dotted and dotless i, long s, Kelvin sign): the byte searches above
# would miss what the rules find in a text holding them.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")
_ALL_KEYWORDS = tuple(
    {"private key-----", *_SECRET_WORDS, *(k for r in RULES for k in r.keywords)}
)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """SECRET facts for every credential found in the repository's text files."""
    for source in index.texts(p for p in index.paths() if _is_scanned(p)):
        yield from _scan(index, source)


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character (0.0 when empty)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def is_placeholder(value: str) -> bool:
    """True for values that stand in for a secret rather than hold one."""
    lowered = value.lower()
    if value.startswith(("$", "%", "{", "(", "[", "<")) or "${" in value:
        return True  # a reference or template: $VAR, $(VAR), %(var)s, {{ x }}, <key>
    if _PLACEHOLDER_WORD.search(lowered) is not None:
        return True
    return len(set(lowered)) <= 2  # "aaaa...", "****", "0000"


def _is_scanned(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name not in LOCKFILES and not name.endswith(SKIPPED_SUFFIXES)


def _scan(index: RepoIndex, source: SourceText) -> Iterator[Fact]:
    """Findings of one file, in line order.

    A few byte searches over the whole file pick the candidate lines (most
    files have none); only those are matched against the rules, in order:
    private key, the token rules, the generic rule.
    """
    text = source.text
    if not text.isascii() and any(char in text for char in _FOLDS_TO_ASCII):
        numbers = _keyword_lines(text.lower())
    else:
        numbers = _candidate_lines(text.encode("utf-8", "surrogatepass"))
    if not numbers:
        return

    language = index.language(source.path)
    quoted_only = language is not None and language not in LITERAL_LANGUAGES
    for number in sorted(numbers):
        found = _finding(source, number, quoted_only)
        if found is not None:
            end, kind, extra = found
            yield _fact(index, source, number, end, kind, extra)


def _candidate_lines(data: bytes) -> set[int]:
    """Lines of ``data`` (UTF-8) where some rule may match.

    Each search is a necessary condition of one or more rules, and starts
    with a literal so that it runs at the speed of a substring search. Only
    valid for texts without characters that lower-case or case-fold to ASCII.
    """
    lowered = data.lower()
    positions: list[int] = []
    for needle, regex, is_lowered in _CANDIDATE_SEARCHES:
        haystack = lowered if is_lowered else data
        if needle in haystack:
            positions.extend([m.start() for m in regex.finditer(haystack)])
    return _line_numbers(data, b"\n", positions)


def _keyword_lines(lowered: str) -> set[int]:
    """Lines of the lower-cased text holding any rule's keyword."""
    positions: list[int] = []
    for keyword in _ALL_KEYWORDS:
        position = lowered.find(keyword)
        while position != -1:
            positions.append(position)
            next_line = lowered.find("\n", position)
            if next_line == -1:
                break
            position = lowered.find(keyword, next_line)
    return _line_numbers(lowered, "\n", positions)


def _line_numbers(text: AnyStr, newline: AnyStr, positions: list[int]) -> set[int]:
    """1-based line numbers of the offsets ``positions`` of ``text``."""
    numbers: set[int] = set()
    line = 1
    previous = 0
    for position in sorted(positions):
        line += text.count(newline, previous, position)
        previous = position
        numbers.add(line)
    return numbers


def _finding(
    source: SourceText, number: int, quoted_only: bool
) -> tuple[int, str, dict[str, str]] | None:
    """``(last line, kind, attrs)`` of the finding on line ``number``, if any."""
    line = source.lines[number - 1]
    lowered = line.lower()
    if "private key-----" in lowered:
        end = _private_key_end(source, number)
        if end is not None:
            return end, "private-key", {}
    for rule in RULES:
        if any(k in lowered for k in rule.keywords) and _matches(rule, line):
            return number, rule.kind, {}
    if len(line) > GENERIC_MAX_LINE_CHARS:
        return None
    name = _generic(line, lowered, quoted_only)
    if name is None:
        return None
    return number, "generic-secret", {"name": name}


def _matches(rule: Rule, line: str) -> bool:
    return any(not is_placeholder(m["value"]) for m in rule.pattern.finditer(line))


def _private_key_end(source: SourceText, number: int) -> int | None:
    """Last line of the key block opening at ``number``, None if not a key."""
    if _PRIVATE_KEY_BEGIN.search(source.lines[number - 1]) is None:
        return None
    last = min(len(source.lines), number + PRIVATE_KEY_MAX_LINES)
    end = source.find_line(_PRIVATE_KEY_END, number, last)
    body = source.lines[number : (end or number + 1) - 1]
    material = "".join(line.strip() for line in body)
    if end is not None and (len(material) < 32 or is_placeholder(material)):
        return None  # an empty or elided block: documentation, not a key
    return end or number


def _generic(line: str, lowered: str, quoted_only: bool) -> str | None:
    """The secret-looking name assigned a random-looking literal, if any.

    ``lowered`` is ``line.lower()``. In program code an unquoted value is an
    expression, not a literal, so only quoted values count there
    (``quoted_only``).
    """
    for name, quote, value in _assignments(line, lowered):
        if not quote and (quoted_only or _CODE_CHARS.search(value)):
            continue
        name_lower = name.lower()
        if any(word in name_lower for word in ("hash", "digest", "checksum")):
            continue
        if name_lower.rsplit(".", 1)[-1] in ("pwd", "oldpwd"):
            continue  # the working directory, not a password
        if _REFERENCE.match(value) or _IDENTIFIER_LIKE.match(value):
            continue
        if is_placeholder(value) or not _is_random(value):
            continue
        return name
    return None


def _assignments(line: str, lowered: str) -> Iterator[tuple[str, str, str]]:
    """``(name, quote, value)`` of each match of ``_GENERIC`` in ``line``.

    Nothing unless ``lowered`` holds a secret word and ``line`` a long value
    after ``=`` or ``:``. On a line without ``_FOLDS_TO_ASCII``,
    ``_ASSIGNED_SECRET`` asks for the word: it holds one wherever
    ``_GENERIC`` can match.
    """
    if line.isascii() or not any(char in line for char in _FOLDS_TO_ASCII):
        if not _ASSIGNED_SECRET.search(lowered) or not _LONG_VALUE.search(line):
            return
        for match in _GENERIC_LOWERED.finditer(lowered):
            name_start, name_end = match.span("name")
            value_start, value_end = match.span("value")
            name, value = line[name_start:name_end], line[value_start:value_end]
            yield name, match["quote"], value
    elif _SECRET_WORD.search(lowered) and _LONG_VALUE.search(line):
        for match in _GENERIC.finditer(line):
            yield match["name"], match["quote"], match["value"]


def _is_random(value: str) -> bool:
    """True for literals that look generated: long, mixed, high entropy."""
    if len(value) < MIN_SECRET_CHARS or "://" in value:
        return False
    if value.lower().startswith(PASSWORD_HASH_PREFIXES):
        return False  # a stored password hash, not a credential to use
    if not any(char.isdigit() for char in value):
        return False  # words, paths and template names, not generated keys
    entropy = shannon_entropy(value)
    if _HEX.match(value):
        return entropy > HEX_ENTROPY_BITS
    if _BASE64ISH.match(value):
        return entropy > BASE64_ENTROPY_BITS
    return entropy > BASE64_ENTROPY_BITS  # punctuation-rich keys (Django's)


def _fact(
    index: RepoIndex,
    source: SourceText,
    line_start: int,
    line_end: int,
    kind: str,
    extra: dict[str, str],
) -> Fact:
    evidence = source.evidence(line_start, line_end)
    redacted = dataclasses.replace(evidence, display=f"{kind} (value redacted)")
    return Fact(
        kind=FactKind.SECRET,
        key=f"{kind}@{source.path}:{line_start}",
        source=f"secrets.{kind}",
        evidence=(redacted,),
        scope=index.scope(source.path),
        weight=WEIGHT_DECLARED,
        note="a credential committed to the repository; rotate it",
        attrs={"kind": kind, **extra},
    )
