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
from pathlib import PurePosixPath

from pta_analyzer.extractors.envvars_common import LineMap
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
SKIPPED_SUFFIXES = (".lock", ".map", ".min.js", ".min.css")

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
_PRIVATE_KEY_BEGIN = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
)
_PRIVATE_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_GENERIC = re.compile(
    r"(?i)(?P<name>[A-Za-z0-9_.-]*(?:secret|password|passwd|pwd|token|api_?key"
    r"|api-key|private_?key|access_?key|auth_?key|credentials?|signing_?key"
    r"|encryption_?key)[A-Za-z0-9_.-]*)[\"']?\s*(?:=|:|=>|:=)\s*"
    r"(?P<quote>[\"'`]?)(?P<value>[^\"'`\s,;)]{16,})(?P=quote)"
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
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    return len(set(lowered)) <= 2  # "aaaa...", "****", "0000"


def _is_scanned(path: str) -> bool:
    name = PurePosixPath(path).name
    return name not in LOCKFILES and not name.endswith(SKIPPED_SUFFIXES)


def _scan(index: RepoIndex, source: SourceText) -> Iterator[Fact]:
    """Findings of one file, in line order.

    Keywords are looked up in the whole lower-cased text first; only lines
    holding a keyword are matched against the rules' regexes.
    """
    text = source.text
    lowered = text.lower()
    rules = [rule for rule in RULES if any(k in lowered for k in rule.keywords)]
    words = [word for word in _SECRET_WORDS if word in lowered]
    if not rules and not words and "private key-----" not in lowered:
        return
    lines = LineMap(text)
    language = index.language(source.path)
    quoted_only = language is not None and language not in LITERAL_LANGUAGES
    findings: dict[int, tuple[int, str, dict[str, str]]] = {}

    for number in _lines_with(lowered, ("private key-----",), lines):
        end = _private_key_end(source, number)
        if end is not None:
            findings[number] = (end, "private-key", {})
    for rule in rules:
        for number in _lines_with(lowered, rule.keywords, lines):
            if number not in findings and _matches(rule, source.lines[number - 1]):
                findings[number] = (number, rule.kind, {})
    for number in _lines_with(lowered, tuple(words), lines):
        line = source.lines[number - 1]
        if number in findings or len(line) > GENERIC_MAX_LINE_CHARS:
            continue
        name = _generic(line, quoted_only)
        if name is not None:
            findings[number] = (number, "generic-secret", {"name": name})

    for number in sorted(findings):
        end, kind, extra = findings[number]
        yield _fact(index, source, number, end, kind, extra)


def _lines_with(lowered: str, keywords: tuple[str, ...], lines: LineMap) -> set[int]:
    """Line numbers holding any of ``keywords`` (lower-case)."""
    found: set[int] = set()
    for keyword in keywords:
        position = lowered.find(keyword)
        while position != -1:
            number = lines.line(position)
            found.add(number)
            next_line = lowered.find("\n", position)
            if next_line == -1:
                break
            position = lowered.find(keyword, next_line)
    return found


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


def _generic(line: str, quoted_only: bool) -> str | None:
    """The secret-looking name assigned a random-looking literal, if any.

    In program code an unquoted value is an expression, not a literal, so only
    quoted values count there (``quoted_only``).
    """
    if _LONG_VALUE.search(line) is None:
        return None
    for match in _GENERIC.finditer(line):
        name, value = match["name"], match["value"]
        if not match["quote"] and (quoted_only or _CODE_CHARS.search(value)):
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
