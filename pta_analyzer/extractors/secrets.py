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

The rules run only on the few lines ``_secret_lines`` finds in one pass over
each file, lines that hold every finding.
"""

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._secret_lines import (
    FOLDS_TO_ASCII,
    SECRET_WORDS,
    TOKEN_WORDS,
    LineCounter,
    candidate_lines,
    folded_to_ascii,
)
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

_SECRET_WORD = regex("|".join(SECRET_WORDS))  # on lower-cased text
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
_GENERIC = regex("(?i)" + _GENERIC_PATTERN)  # for lines with FOLDS_TO_ASCII
# The same without case folding, which costs the engine as much again, on the
# lower-cased line: that has the same length and the same matches when the
# line holds none of ``FOLDS_TO_ASCII`` (the tests check every code point).
_GENERIC_LOWERED = re.compile(_GENERIC_PATTERN)
# A necessary condition of ``_GENERIC_LOWERED``, found sooner (its start is a
# literal): a stem of a secret name, the rest of the name, the separator and
# 16 characters of the value.
_ASSIGNED_SECRET = re.compile(
    "(?:" + "|".join(SECRET_WORDS) + ")"
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

# The rules that can match in a text holding none of ``TOKEN_WORDS``.
_WORDLESS_RULES = tuple(
    rule for rule in RULES if rule.kind in ("aws-secret-access-key", "url-password")
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

    A pass over the whole file picks the candidate lines (most files have
    none); only those are matched against the rules, in order: private key,
    the token rules, the generic rule.
    """
    holds_tokens = source.holds(*TOKEN_WORDS)
    quoted_only = partial(_is_quoted_only, index, source.path)
    lines, number_at = _candidates(source, holds_tokens, quoted_only)
    if lines:
        rules = RULES if holds_tokens else _WORDLESS_RULES
        yield from _findings(index, source, lines, number_at, rules, quoted_only())


def _is_quoted_only(index: RepoIndex, path: str) -> bool:
    """True for program code, where an unquoted value is not a literal."""
    language = index.language(path)
    return language is not None and language not in LITERAL_LANGUAGES


def _candidates(
    source: SourceText, holds_tokens: bool, quoted_only: Callable[[], bool]
) -> tuple[list[tuple[int, str]], Callable[[int], int]]:
    """``(at, line)`` of the lines where a rule may match, and ``number_at``.

    ``number_at(at)`` is the line's number, asked in line order.
    ``holds_tokens`` when the text holds one of ``TOKEN_WORDS``;
    ``quoted_only()`` when the generic rule takes quoted values only.
    """
    text = source.text
    folds = not text.isascii() and any(char in text for char in FOLDS_TO_ASCII)
    data = (folded_to_ascii(text) if folds else text).encode("utf-8", "surrogatepass")
    lines = candidate_lines(source, data, holds_tokens, quoted_only)
    if not lines:
        return lines, _same_number

    number_at = LineCounter(data).number_at
    if not folds:
        return lines, number_at
    numbers = [number_at(at) for at, _line in lines]  # the text's own lines
    return [(number, source.lines[number - 1]) for number in numbers], _same_number


def _findings(
    index: RepoIndex,
    source: SourceText,
    lines: list[tuple[int, str]],
    number_at: Callable[[int], int],
    rules: tuple[Rule, ...],
    quoted_only: bool,
) -> Iterator[Fact]:
    """Findings on ``lines``, ``(at, line)`` where ``number_at(at)`` numbers it;
    ``quoted_only`` when the generic rule takes quoted values only."""
    for at, line in lines:
        found = _finding(source, line, rules, quoted_only, partial(number_at, at))
        if found is not None:
            start, end, kind, extra = found
            yield _fact(index, source, start, end, kind, extra)


def _same_number(number: int) -> int:
    return number  # lines that come numbered


def _finding(
    source: SourceText,
    line: str,
    rules: tuple[Rule, ...],
    quoted_only: bool,
    number: Callable[[], int],
) -> tuple[int, int, str, dict[str, str]] | None:
    """``(first line, last line, kind, attrs)`` of the finding on ``line``.

    None when there is none. ``line`` is a line of ``source``, ``number()``
    its number; ``rules`` are the token rules that can match in it.
    """
    lowered = line.lower()
    if "private key-----" in lowered and _PRIVATE_KEY_BEGIN.search(line):
        start = number()
        end = _private_key_end(source, start)
        if end is not None:
            return start, end, "private-key", {}
    for rule in rules:
        if any(k in lowered for k in rule.keywords) and _matches(rule, line):
            start = number()
            return start, start, rule.kind, {}
    if len(line) > GENERIC_MAX_LINE_CHARS:
        return None
    name = _generic(line, lowered, quoted_only)
    if name is None:
        return None
    start = number()
    return start, start, "generic-secret", {"name": name}


def _matches(rule: Rule, line: str) -> bool:
    return any(not is_placeholder(m["value"]) for m in rule.pattern.finditer(line))


def _private_key_end(source: SourceText, number: int) -> int | None:
    """Last line of the key block opening at line ``number``, None if not a key."""
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
    after ``=`` or ``:``. On a line without ``FOLDS_TO_ASCII``,
    ``_ASSIGNED_SECRET`` asks for the word: it holds one wherever
    ``_GENERIC`` can match.
    """
    if line.isascii() or not any(char in line for char in FOLDS_TO_ASCII):
        if not _ASSIGNED_SECRET.search(lowered) or not _LONG_VALUE.search(line):
            return
        for match in _GENERIC_LOWERED.finditer(lowered):
            name_start, name_end = match.span("name")
            value_start, value_end = match.span("value")
            name, value = line[name_start:name_end], line[value_start:value_end]
            yield name, match["quote"], value
    elif _SECRET_WORD().search(lowered) and _LONG_VALUE.search(line):
        for match in _GENERIC().finditer(line):
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
