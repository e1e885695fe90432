"""How an application authenticates, from its dependencies and its code.

AUTH facts have keys such as ``jwt``, ``session``, ``basic``, ``bearer``,
``api-key``, ``oauth`` / ``oauth:google``, ``django-auth``, ``devise``,
``spring-security`` and ``passport:<strategy>``. A dependency fact cites the
manifest line that declares the package (``attrs``: ``via="dependency"``,
``package``); a code fact cites the first line of a file that uses the
mechanism (``via="code"``), one fact per key and file, so a file with fifty
``@login_required`` views gives one fact, not fifty.
"""

import json
import logging
import re
from collections.abc import Callable, Iterator

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._textlines import (
    caseless_lines,
    match_lines,
    numbered_lines_with,
)
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.needles import register

logger = logging.getLogger(__name__)

PYTHON_PACKAGES: dict[str, tuple[str, ...]] = {
    "pyjwt": ("jwt",),
    "python-jose": ("jwt",),
    "jwcrypto": ("jwt",),
    "flask-jwt-extended": ("jwt",),
    "flask-jwt": ("jwt",),
    "djangorestframework-simplejwt": ("jwt",),
    "djangorestframework-jwt": ("jwt",),
    "drf-jwt": ("jwt",),
    "fastapi-jwt-auth": ("jwt",),
    "flask-login": ("session",),
    "flask-security": ("session",),
    "flask-security-too": ("session",),
    "flask-httpauth": ("basic",),
    "authlib": ("oauth",),
    "flask-dance": ("oauth",),
    "requests-oauthlib": ("oauth",),
    "social-auth-app-django": ("oauth",),
    "django-allauth": ("oauth",),
    "django-oauth-toolkit": ("oauth",),
    "fastapi-users": ("jwt",),
}
NODE_PACKAGES: dict[str, tuple[str, ...]] = {
    "jsonwebtoken": ("jwt",),
    "jose": ("jwt",),
    "express-jwt": ("jwt",),
    "koa-jwt": ("jwt",),
    "@nestjs/jwt": ("jwt",),
    "@fastify/jwt": ("jwt",),
    "fastify-jwt": ("jwt",),
    "express-session": ("session",),
    "cookie-session": ("session",),
    "koa-session": ("session",),
    "@fastify/session": ("session",),
    "next-auth": ("oauth",),
    "@auth/core": ("oauth",),
    "express-basic-auth": ("basic",),
}
RUBY_GEMS: dict[str, tuple[str, ...]] = {
    "devise": ("devise",),
    "jwt": ("jwt",),
    "knock": ("jwt",),
    "devise-jwt": ("jwt",),
    "omniauth-google-oauth2": ("oauth:google",),
    "omniauth-github": ("oauth:github",),
    "omniauth-facebook": ("oauth:facebook",),
    "omniauth-twitter": ("oauth:twitter",),
    "omniauth": ("oauth",),
    "doorkeeper": ("oauth",),
    "sorcery": ("session",),
    "clearance": ("session",),
}
JVM_ARTIFACTS: dict[str, tuple[str, ...]] = {
    "spring-boot-starter-security": ("spring-security",),
    "spring-security-core": ("spring-security",),
    "spring-boot-starter-oauth2-client": ("oauth",),
    "spring-boot-starter-oauth2-resource-server": ("jwt",),
    "jjwt": ("jwt",),
    "jjwt-api": ("jwt",),
    "java-jwt": ("jwt",),
    "nimbus-jose-jwt": ("jwt",),
}
GO_MODULES: dict[str, tuple[str, ...]] = {
    "github.com/golang-jwt/jwt": ("jwt",),
    "github.com/dgrijalva/jwt-go": ("jwt",),
    "github.com/lestrrat-go/jwx": ("jwt",),
    "github.com/appleboy/gin-jwt": ("jwt",),
    "github.com/labstack/echo-jwt": ("jwt",),
    "github.com/gofiber/jwt": ("jwt",),
    "golang.org/x/oauth2": ("oauth",),
    "github.com/gorilla/sessions": ("session",),
    "github.com/markbates/goth": ("oauth",),
}
PHP_PACKAGES: dict[str, tuple[str, ...]] = {
    "tymon/jwt-auth": ("jwt",),
    "firebase/php-jwt": ("jwt",),
    "lcobucci/jwt": ("jwt",),
    "laravel/passport": ("oauth",),
    "laravel/socialite": ("oauth",),
    "laravel/sanctum": ("api-token",),
}
RUST_CRATES: dict[str, tuple[str, ...]] = {
    "jsonwebtoken": ("jwt",),
    "oauth2": ("oauth",),
    "actix-identity": ("session",),
    "actix-session": ("session",),
    "tower-sessions": ("session",),
}
# passport-<x> packages: the OAuth provider each one signs in with.
PASSPORT_PROVIDERS = {
    "google": "google",
    "github": "github",
    "facebook": "facebook",
    "twitter": "twitter",
    "gitlab": "gitlab",
    "microsoft": "microsoft",
    "azure-ad": "microsoft",
    "apple": "apple",
    "linkedin": "linkedin",
    "discord": "discord",
    "slack": "slack",
    "auth0": "auth0",
    "oauth2": "",
    "openidconnect": "",
}
ALLAUTH_PROVIDER = regex(r"allauth\.socialaccount\.providers\.(\w+)")

_PY_TOKEN = re.compile(r"(?<![\w./-])([A-Za-z][\w.-]*)")
_GEM = regex(r"^\s*gem\s+['\"]([\w.-]+)['\"]")
_ARTIFACT = regex(r"<artifactId>\s*([\w.-]+)\s*</artifactId>")
_GRADLE_DEP = regex(r"['\"]([\w.-]+):([\w.-]+)(?::[^'\"]*)?['\"]")
_GO_REQUIRE = regex(r"^\s*(?:require\s+)?([\w.-]+\.[\w.-]+/[\w./-]+)\s+v\d")
_CARGO_DEP = regex(r"^\s*([\w-]+)\s*=")

_CODE_SUFFIXES = frozenset(
    {".py", ".js", ".mjs", ".cjs", ".ts", ".go", ".java", ".kt", ".rb", ".php"}
)


def _header_read(name: str) -> Callable[[], "re.Pattern[str]"]:
    """A server reading request header ``name`` (not a client setting it)."""
    return regex(
        r"\b(?:req|request|ctx|context|r|c)\.(?:request\.)?"
        r"(?:headers?(?:\.get\(|\[|\(|\.)|get\(|getHeader\(|GetHeader\(|"
        rf"Header\.Get\(|META\[)\s*['\"]?(?:HTTP_)?{name}\b"
        rf"|RequestHeader\(\s*(?:(?:value|name)\s*=\s*)?\"{name}\"",
        re.IGNORECASE,
    )


_AUTH_HEADER = _header_read("authorization")
_API_KEY_HEADER = _header_read("x[-_]api[-_]key")
_PASSPORT_USE = regex(
    r"passport\.use\(\s*(?:['\"]([\w-]+)['\"]|new\s+(\w+?)Strategy\b)"
)
_JWT_CALL = regex(
    r"\bjwt\.(?:sign|verify|encode|decode)\(|\bJwts\.(?:builder|parser)"
    r"|\bjwt\.(?:Parse|NewWithClaims)\("
)
_PY = frozenset({".py"})
_JVM = frozenset({".java", ".kt"})
_ANY = _CODE_SUFFIXES
# (word that must be in the file, key or "" to decide, pattern, file kinds,
# words one of which every line the pattern matches holds)
_CODE_RULES: tuple[
    tuple[str, str, Callable[[], "re.Pattern[str]"], frozenset[str], tuple[str, ...]],
    ...,
] = (
    ("HTTPBasicAuth", "basic", regex(r"=\s*HTTPBasicAuth\(\s*\)"), _PY, ()),
    ("HTTPTokenAuth", "bearer", regex(r"=\s*HTTPTokenAuth\("), _PY, ()),
    ("HTTPBasic", "basic", regex(r"=\s*HTTPBasic\(\s*\)"), _PY, ()),
    ("OAuth2PasswordBearer", "bearer", regex(r"OAuth2PasswordBearer\("), _PY, ()),
    ("APIKey", "api-key", regex(r"APIKey(?:Header|Query|Cookie)\("), _PY, ()),
    (
        "EnableWebSecurity",
        "spring-security",
        regex(r"^\s*@EnableWebSecurity\b"),
        _JVM,
        (),
    ),
    (
        "SecurityFilterChain",
        "spring-security",
        regex(r"\bSecurityFilterChain\s+\w+\s*\("),
        _JVM,
        (),
    ),
    ("devise", "devise", regex(r"^\s*devise\s+:\w+"), frozenset({".rb"}), ()),
    (
        "INSTALLED_APPS",
        "django-auth",
        regex(r"^\s*['\"]django\.contrib\.auth['\"]"),
        _PY,
        ("django.contrib.auth",),
    ),
    ("jwt", "jwt", _JWT_CALL, _ANY, ("jwt.", "Jwts.")),
    ("Jwts", "jwt", _JWT_CALL, _JVM, ("jwt.", "Jwts.")),
    (
        "login_required",
        "",
        regex(r"^\s*@(?:\w+\.)?login_required\b"),
        _PY,
        (),
    ),
)
_RULE_WORDS = register(*(rule[0] for rule in _CODE_RULES))
# Case-insensitive words every match of the header patterns holds, the
# words of the cheaper test a file must pass first, and the letters that
# IGNORECASE folds onto ASCII ones of them (the dotted and the dotless I
# onto i, the Kelvin sign onto k): a text without those has the same lines
# in any ASCII case.
_AUTH_HEADER_WORD = regex("authorization", re.IGNORECASE)
_AUTH_HEADER_CASES = ("authorization",)
_AUTH_HEADER_GATE = register("uthorization", "UTHORIZATION")
_API_KEY_HEADER_WORD = regex(r"x[-_]api[-_]key", re.IGNORECASE)
_API_KEY_HEADER_CASES = ("x-api-key", "x_api_key", "x-api_key", "x_api-key")
_API_KEY_HEADER_GATE = register("pi-key", "PI-KEY", "pi-Key", "pi_key")
_NON_ASCII_FOLDS = register("\u0130", "\u0131", "\u212a")
_PASSPORT_CALL = register("passport.use(")
_ALLAUTH_PROVIDERS = register("allauth.socialaccount.providers.")


def _fewest(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` without those holding another: a text holds one all the same."""
    return tuple(w for w in words if not any(o != w and o in w for o in words))


# By suffix, the words a file must hold for _code_uses to find anything in
# it (a necessary condition: each rule's word, or a gate of the others).
_CODE_WORDS = {
    suffix: _fewest(
        (
            *(rule[0] for rule in _CODE_RULES if suffix in rule[3]),
            *_AUTH_HEADER_GATE,
            *_API_KEY_HEADER_GATE,
            *_PASSPORT_CALL,
            *_ALLAUTH_PROVIDERS,
        )
    )
    for suffix in _CODE_SUFFIXES
}
register("Bearer", "bearer", "django", "flask_httpauth")  # asked of files that match


def extract(index: RepoIndex) -> Iterator[Fact]:
    """AUTH facts from manifests and from source files."""
    for path in index.paths():
        name = path.rpartition("/")[2]
        reader = _manifest_reader(name)
        if reader is not None:
            source = index.read(path)
            if source is not None:
                yield from _dependency_facts(index, source, reader)
            continue

        words = _CODE_WORDS.get(name[name.rfind(".") :])
        if words is not None:
            source = index.read(path)
            if source is not None and source.holds(*words):
                yield from _code_facts(index, source)


# Dependencies

_Reader = Callable[[SourceText], Iterator[tuple[int, str, tuple[str, ...]]]]


def _manifest_reader(name: str) -> _Reader | None:
    reader = _READERS.get(name)
    if reader is None and name.startswith("requirements"):
        return _python_manifest if name.endswith((".txt", ".in")) else None
    return reader


def _dependency_facts(
    index: RepoIndex, source: SourceText, reader: _Reader
) -> Iterator[Fact]:
    seen: set[tuple[str, str]] = set()
    try:
        declared = list(reader(source))
    except (ValueError, RecursionError) as error:
        logger.debug(
            "manifest not read", extra={"path": source.path, "error": str(error)}
        )
        return
    for number, package, keys in declared:
        for key in keys:
            if (key, package) in seen:
                continue
            seen.add((key, package))
            attrs: dict[str, object] = {"via": "dependency", "package": package}
            if key.startswith("oauth:"):
                attrs["provider"] = key.partition(":")[2]
            yield Fact(
                kind=FactKind.AUTH,
                key=key,
                source="auth.dependency",
                evidence=(source.evidence(number),),
                scope=index.scope(source.path),
                weight=WEIGHT_MANIFEST,
                attrs=attrs,
            )


def _python_manifest(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, line in enumerate(source.lines, start=1):
        code = re.sub(r"(?:^|\s)#.*$", "", line).strip()
        for token in _PY_TOKEN.findall(code):
            name = token.lower().replace("_", "-")
            if name in PYTHON_PACKAGES:
                yield number, name, PYTHON_PACKAGES[name]


def _json_dependencies(
    source: SourceText, sections: tuple[str, ...]
) -> Iterator[tuple[int, str]]:
    """``(line, name)`` of each dependency named in the given sections."""
    data = json.loads(source.text)
    if not isinstance(data, dict):
        return
    for section in sections:
        names = data.get(section)
        if not isinstance(names, dict):
            continue
        for name in names:
            if not isinstance(name, str):
                continue
            number = source.find_line(rf"\"{re.escape(name)}\"\s*:")
            if number is not None:
                yield number, name


def _package_json(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    sections = ("dependencies", "peerDependencies", "optionalDependencies")
    for number, name in _json_dependencies(source, sections):
        if name in NODE_PACKAGES:
            yield number, name, NODE_PACKAGES[name]
        elif name.startswith("passport-"):
            yield number, name, _passport_keys(name.removeprefix("passport-"))


def _passport_keys(strategy: str) -> tuple[str, ...]:
    keys = [f"passport:{strategy}"]
    if strategy == "jwt":
        keys.append("jwt")
    if strategy in ("http-bearer", "bearer"):
        keys.append("bearer")
    if strategy in ("headerapikey", "api-key", "localapikey"):
        keys.append("api-key")
    if strategy == "http":
        keys.append("basic")
    for prefix, provider in PASSPORT_PROVIDERS.items():
        if strategy.startswith(prefix):
            keys.append(f"oauth:{provider}" if provider else "oauth")
            break
    return tuple(keys)


def _composer_json(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, name in _json_dependencies(source, ("require",)):
        if name in PHP_PACKAGES:
            yield number, name, PHP_PACKAGES[name]


def _gemfile(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, match in source.find_lines(_GEM()):
        name = match.group(1)
        if name in RUBY_GEMS:
            yield number, name, RUBY_GEMS[name]


def _pom(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, match in source.find_lines(_ARTIFACT()):
        name = match.group(1)
        if name in JVM_ARTIFACTS:
            yield number, name, JVM_ARTIFACTS[name]


def _gradle(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, match in source.find_lines(_GRADLE_DEP()):
        name = match.group(2)
        if name in JVM_ARTIFACTS:
            yield number, name, JVM_ARTIFACTS[name]


def _go_mod(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, match in source.find_lines(_GO_REQUIRE()):
        module = match.group(1)
        for known, keys in GO_MODULES.items():
            if module == known or module.startswith(known + "/"):
                yield number, module, keys


def _cargo_toml(source: SourceText) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    for number, match in source.find_lines(_CARGO_DEP()):
        name = match.group(1)
        if name in RUST_CRATES:
            yield number, name, RUST_CRATES[name]


_READERS: dict[str, _Reader] = {
    "pyproject.toml": _python_manifest,
    "Pipfile": _python_manifest,
    "setup.py": _python_manifest,
    "setup.cfg": _python_manifest,
    "package.json": _package_json,
    "Gemfile": _gemfile,
    "pom.xml": _pom,
    "build.gradle": _gradle,
    "build.gradle.kts": _gradle,
    "go.mod": _go_mod,
    "composer.json": _composer_json,
    "Cargo.toml": _cargo_toml,
}


# Code


def _code_facts(index: RepoIndex, source: SourceText) -> Iterator[Fact]:
    found: dict[str, tuple[int, str]] = {}  # key -> (first line, rule)
    for key, number, rule in _code_uses(source):
        found.setdefault(key, (number, rule))
    if not found:
        return

    scope = index.scope(source.path)
    for key, (number, rule) in found.items():
        attrs: dict[str, object] = {"via": "code"}
        if key.startswith("oauth:"):
            attrs["provider"] = key.partition(":")[2]
        yield Fact(
            kind=FactKind.AUTH,
            key=key,
            source=f"auth.code.{rule}",
            evidence=(source.evidence(number),),
            scope=scope,
            weight=WEIGHT_MANIFEST,
            attrs=attrs,
        )


def _code_uses(source: SourceText) -> Iterator[tuple[str, int, str]]:
    """``(key, line, rule)`` for each mechanism the file uses, first line."""
    name = source.path.rpartition("/")[2]
    suffix = name[name.rfind(".") :]
    for word, key, pattern, suffixes, line_words in _CODE_RULES:
        if suffix in suffixes and source.holds(word):
            candidates = numbered_lines_with(source.text, line_words or (word,))
            number = _first_match(pattern(), candidates)
            if number is not None:
                yield key or _login_required_key(source), number, word

    if source.holds(*_AUTH_HEADER_GATE):
        header = _first_header_read(
            source, _AUTH_HEADER(), _AUTH_HEADER_WORD(), _AUTH_HEADER_CASES
        )
        if header is not None:
            bearer = source.holds("Bearer", "bearer")
            yield "bearer" if bearer else "authorization-header", header, "header"
    if source.holds(*_API_KEY_HEADER_GATE):
        api_key = _first_header_read(
            source, _API_KEY_HEADER(), _API_KEY_HEADER_WORD(), _API_KEY_HEADER_CASES
        )
        if api_key is not None:
            yield "api-key", api_key, "x-api-key"
    if source.holds(*_PASSPORT_CALL):
        for number, line in numbered_lines_with(source.text, _PASSPORT_CALL):
            match = _PASSPORT_USE().search(line)
            if match is None:
                continue
            strategy = (match.group(1) or match.group(2) or "").lower()
            for key in _passport_keys(strategy) if strategy else ():
                yield key, number, "passport.use"
    if source.holds(*_ALLAUTH_PROVIDERS):
        for number, line in numbered_lines_with(source.text, _ALLAUTH_PROVIDERS):
            provider = ALLAUTH_PROVIDER().search(line)
            if provider:
                yield f"oauth:{provider.group(1)}", number, "allauth"


def _first_header_read(
    source: SourceText,
    header: "re.Pattern[str]",
    word: "re.Pattern[str]",
    cases: tuple[str, ...],
) -> int | None:
    """The first line ``header`` matches, of the lines ``word`` matches.

    Those are the lines holding ``cases`` in any ASCII case unless the text
    holds a letter IGNORECASE also folds onto them.
    """

    def reads(line: str) -> bool:
        return _may_read_header(line) and header.search(line) is not None

    if source.holds(*_NON_ASCII_FOLDS):
        numbers = match_lines(source.text, word)
        return next((n for n in numbers if reads(source.lines[n - 1])), None)
    kept = caseless_lines(source.text, cases, keep=reads)
    return kept[0][0] if kept else None


def _may_read_header(line: str) -> bool:
    """False for a line no header pattern can match, found without a regex.

    Every match holds "header", "get(" or "meta[" in some case, and no
    letter of them has a case outside ASCII.
    """
    lowered = line.lower()
    return "header" in lowered or "get(" in lowered or "meta[" in lowered


def _first_match(
    pattern: "re.Pattern[str]", candidates: list[tuple[int, str]]
) -> int | None:
    """The number of the first of the sorted ``candidates`` ``pattern`` matches."""
    for number, line in candidates:
        if pattern.search(line):
            return number
    return None


def _login_required_key(source: SourceText) -> str:
    """``@login_required`` is Django's in a Django file, Flask-Login's else."""
    if source.holds("django"):
        return "django-auth"
    if source.holds("flask_httpauth", "HTTPBasicAuth"):
        return "basic"
    return "session"
