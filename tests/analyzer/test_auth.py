"""Tests of the auth extractor: dependencies and code that authenticate."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pta_analyzer.extractors import auth
from pta_analyzer.extractors.auth import extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.index import SourceText
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> list[Fact]:
    facts = extract_verified(make_repo, extract, files)
    assert all(fact.kind is FactKind.AUTH for fact in facts)
    assert all(fact.status is Status.EVIDENCED for fact in facts)
    return facts


def summary(facts: list[Fact]) -> set[tuple[str, str, str]]:
    """``(key, via, location)`` of each fact."""
    return {
        (fact.key, str(fact.attrs["via"]), fact.evidence[0].location) for fact in facts
    }


def test_python_requirements_name_jwt_and_login_packages(make_repo: MakeRepo) -> None:
    requirements = (
        "# auth\n"
        "Flask==3.0\n"
        "Flask-JWT-Extended>=4\n"
        "flask_login\n"
        "requests  # pyjwt is not here\n"
    )
    facts = run(make_repo, {"requirements.txt": requirements})

    assert summary(facts) == {
        ("jwt", "dependency", "requirements.txt:3"),
        ("session", "dependency", "requirements.txt:4"),
    }
    jwt = next(f for f in facts if f.key == "jwt")
    assert dict(jwt.attrs) == {"via": "dependency", "package": "flask-jwt-extended"}


def test_pyproject_dependency(make_repo: MakeRepo) -> None:
    pyproject = (
        '[project]\nname = "x"\n'
        'dependencies = [\n  "djangorestframework-simplejwt>=5",\n]\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    assert summary(facts) == {("jwt", "dependency", "pyproject.toml:4")}


def test_package_json_passport_strategies_and_session(make_repo: MakeRepo) -> None:
    package = (
        "{\n"
        '  "dependencies": {\n'
        '    "express-session": "^1.17.0",\n'
        '    "passport-github2": "^0.1.12",\n'
        '    "passport-jwt": "^4.0.0"\n'
        "  },\n"
        '  "devDependencies": { "jsonwebtoken": "^9.0.0" }\n'
        "}\n"
    )
    facts = run(make_repo, {"package.json": package})

    assert summary(facts) == {
        ("session", "dependency", "package.json:3"),
        ("passport:github2", "dependency", "package.json:4"),
        ("oauth:github", "dependency", "package.json:4"),
        ("passport:jwt", "dependency", "package.json:5"),
        ("jwt", "dependency", "package.json:5"),
    }
    github = next(f for f in facts if f.key == "oauth:github")
    assert github.attrs["provider"] == "github"


def test_gemfile_pom_gradle_gomod_composer_cargo(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "Gemfile": "source 'https://rubygems.org'\ngem 'devise', '~> 4.2'\ngem 'jwt'\n",
        "pom.xml": (
            "<dependency>\n"
            "  <artifactId>spring-boot-starter-security</artifactId>\n"
            "</dependency>\n"
        ),
        "api/build.gradle": "implementation 'io.jsonwebtoken:jjwt-api:0.11.2'\n",
        "go.mod": "module x\nrequire (\n\tgithub.com/golang-jwt/jwt/v5 v5.2.0\n)\n",
        "composer.json": '{\n  "require": {\n    "laravel/passport": "^11"\n  }\n}\n',
        "Cargo.toml": '[dependencies]\njsonwebtoken = "9"\n',
    }
    facts = run(make_repo, files)

    assert summary(facts) == {
        ("devise", "dependency", "Gemfile:2"),
        ("jwt", "dependency", "Gemfile:3"),
        ("spring-security", "dependency", "pom.xml:2"),
        ("jwt", "dependency", "api/build.gradle:1"),
        ("jwt", "dependency", "go.mod:3"),
        ("oauth", "dependency", "composer.json:3"),
        ("jwt", "dependency", "Cargo.toml:2"),
    }


def test_flask_httpauth_basic_once_per_file(make_repo: MakeRepo) -> None:
    code = (
        "from flask_httpauth import HTTPBasicAuth\n"
        "auth = HTTPBasicAuth()\n"
        "@app.route('/a')\n"
        "@auth.login_required\n"
        "def a():\n"
        "    pass\n"
        "@auth.login_required\n"
        "def b():\n"
        "    pass\n"
    )
    facts = run(make_repo, {"server.py": code})

    assert summary(facts) == {("basic", "code", "server.py:2")}


def test_login_required_is_django_auth_in_django_and_session_in_flask(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "catalog/views.py": (
            "from django.contrib.auth.decorators import login_required\n"
            "@login_required\n"
            "def mine(request):\n"
            "    pass\n"
        ),
        "web/views.py": (
            "from flask_login import login_required\n"
            "@login_required\n"
            "def profile():\n"
            "    pass\n"
        ),
    }
    facts = run(make_repo, files)

    assert summary(facts) == {
        ("django-auth", "code", "catalog/views.py:2"),
        ("session", "code", "web/views.py:2"),
    }


def test_server_header_reads_but_not_client_header_writes(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/middleware.js": (
            "const token = req.headers.authorization.split('Bearer ')[1];\n"
            "const key = req.headers['x-api-key'];\n"
        ),
        "web/src/client.js": (
            "axios.get('/api', { headers: { Authorization: `Bearer ${t}` } });\n"
            "fetch(url, { headers: { 'x-api-key': key } });\n"
        ),
        "main.go": 'auth := r.Header.Get("Authorization")\n',
    }
    facts = run(make_repo, files)

    assert summary(facts) == {
        ("bearer", "code", "src/middleware.js:1"),
        ("api-key", "code", "src/middleware.js:2"),
        ("authorization-header", "code", "main.go:1"),
    }


def test_passport_use_names_strategy_and_provider(make_repo: MakeRepo) -> None:
    code = (
        "passport.use('jwt', strategies.jwt);\n"
        "passport.use(new GoogleStrategy({ clientID }, verify));\n"
    )
    facts = run(make_repo, {"src/config/express.js": code})

    assert {f.key for f in facts} == {
        "passport:jwt",
        "jwt",
        "passport:google",
        "oauth:google",
    }


def test_spring_security_jwt_and_devise_code(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/main/java/Sec.java": "@EnableWebSecurity\npublic class Sec {}\n",
        "src/main/java/Jwt.java": "return Jwts.builder().setSubject(id).compact();\n",
        "app/models/user.rb": (
            "class User < ApplicationRecord\n  devise :database_authenticatable\nend\n"
        ),
        "settings.py": "INSTALLED_APPS = [\n    'django.contrib.auth',\n]\n",
    }
    facts = run(make_repo, files)

    assert summary(facts) == {
        ("spring-security", "code", "src/main/java/Sec.java:1"),
        ("jwt", "code", "src/main/java/Jwt.java:1"),
        ("devise", "code", "app/models/user.rb:2"),
        ("django-auth", "code", "settings.py:2"),
    }


def test_auth_in_test_files_is_tagged_test(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"tests/test_api.py": "token = jwt.encode(payload, key)\n"})

    assert [(f.key, f.scope) for f in facts] == [("jwt", Scope.TEST)]


def test_malformed_manifests_do_not_raise(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "package.json": '{"dependencies": {"passport-local": ',
        "composer.json": "[1, 2]",
        "go.mod": b"\x00\x01\x02",
        "Gemfile": "gem\n",
    }
    assert run(make_repo, files) == []


def test_code_rules_apply_to_their_own_languages(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "tools/rules.py": (
            'RULES = [("django.contrib.auth", "@EnableWebSecurity")]\n'
            "text = '@EnableWebSecurity'\n"
        ),
        "web/Sec.kt": "@EnableWebSecurity\nclass Sec\n",
    }
    facts = run(make_repo, files)

    assert summary(facts) == {("spring-security", "code", "web/Sec.kt:1")}


def test_header_read_in_any_case_cites_the_first_line_that_reads_it(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "main.go": (
            "// checks the Authorization header\n"
            'client.Header.Set("AUTHORIZATION", t)\n'
            'auth := r.Header.Get("AuthoriZation")\n'
            'again := r.Header.Get("Authorization")\n'
        ),
        # IGNORECASE also folds the dotless i onto i, and the Kelvin sign onto k
        "server.js": (
            "// Authorization, pi-key\n"
            "const auth = req.headers['author\u0131zation'];\n"
            "const key = req.get('x-api-\u212aey');\n"
        ),
    }
    facts = run(make_repo, files)

    assert summary(facts) == {
        ("authorization-header", "code", "main.go:3"),
        ("authorization-header", "code", "server.js:2"),
        ("api-key", "code", "server.js:3"),
    }


_CODE_LINES = (
    "auth = HTTPBasicAuth()",
    "oauth2 = OAuth2PasswordBearer(tokenUrl='t')",
    "@login_required",
    "import django",
    "token = jwt.encode(payload, key)",
    "h = request.headers.get('AUTHORIZATION')",
    "h = request.META['HTTP_AUTHOR\u0130ZATION']",
    "k = req.headers['X_API_KEY']",
    "# Authorization pi_key",
    "passport.use(new GitHubStrategy(options))",
    "'allauth.socialaccount.providers.gitlab',",
    "INSTALLED_APPS = ['django.contrib.auth']",
    "@EnableWebSecurity",
    "other = 1",
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_CODE_LINES), max_size=8),
    st.sampled_from(sorted(auth._CODE_WORDS)),
)
def test_a_file_without_the_code_words_of_its_kind_uses_nothing(
    chosen: list[str], suffix: str
) -> None:
    text = "\n".join(chosen)
    source = SourceText(
        path=f"src/a{suffix}", encoding="utf-8", file_sha256="", text=text
    )

    if not source.holds(*auth._CODE_WORDS[suffix]):
        assert list(auth._code_uses(source)) == []


_HEADER_LINES = (
    "h = request.headers.get('Authorization')",
    "h = req.headers['AUTHORIZATION']",
    'h = r.Header.Get("authorization")',
    "h = request.META['HTTP_AUTHOR\u0130ZATION']",
    "h = ctx.get('author\u0131zation')",
    "k = req.headers['x-api-key']",
    "k = req.get('X_API_\u212aEY')",
    'k = c.GetHeader("x-Api_key")',
    "client.headers['Authorization'] = token",
    "# Authorization pi_key",
    '@RequestHeader("Authorization") String a',
    "\u0130 x",
)


@given(st.lists(st.sampled_from(_HEADER_LINES), max_size=8))
def test_first_header_read_is_the_first_line_the_pattern_matches(
    chosen: list[str],
) -> None:
    source = SourceText(
        path="a.js", encoding="utf-8", file_sha256="", text="\n".join(chosen)
    )
    for header, word, cases in (
        (auth._AUTH_HEADER(), auth._AUTH_HEADER_WORD(), auth._AUTH_HEADER_CASES),
        (
            auth._API_KEY_HEADER(),
            auth._API_KEY_HEADER_WORD(),
            auth._API_KEY_HEADER_CASES,
        ),
    ):
        lines = enumerate(source.lines, start=1)
        expected = next((n for n, line in lines if header.search(line)), None)

        assert auth._first_header_read(source, header, word, cases) == expected
