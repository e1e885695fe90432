"""The env-file extractor: declared variables, declared ports, committed .env."""

from pta_analyzer.extractors.envfiles import extract
from pta_analyzer.facts import FactKind
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, of_kind

EXAMPLE = """\
# Settings
NODE_ENV=development
export PORT=3000
JWT_SECRET=change-me-please
DATABASE_URL="postgres://app:hunter2@db:5432/app"
REDIS_URL='redis://redis:6379/0'  # cache
EMPTY=
# COMMENTED_OUT=1
  SPACED = "value with spaces"
DB_PORT=5432
NODE_ENV=production
not a declaration
"""


def test_each_declaration_is_a_declared_only_env_var(make_repo: MakeRepo) -> None:
    index = make_repo({".env.example": EXAMPLE})

    facts = of_kind(extract(index), FactKind.ENV_VAR)

    assert [(f.key, f.attrs["default"], f.evidence[0].line_start) for f in facts] == [
        ("NODE_ENV", "development", 2),
        ("PORT", "3000", 3),
        ("JWT_SECRET", None, 4),
        ("DATABASE_URL", None, 5),
        ("REDIS_URL", "redis://redis:6379/0", 6),
        ("EMPTY", "", 7),
        ("SPACED", "value with spaces", 9),
        ("DB_PORT", "5432", 10),
    ]
    assert all(f.attrs["declared_only"] is True for f in facts)
    assert_evidence_verifies(index, facts)


def test_secret_values_are_never_shown_or_kept(make_repo: MakeRepo) -> None:
    index = make_repo({".env.example": EXAMPLE})

    facts = {f.key: f for f in of_kind(extract(index), FactKind.ENV_VAR)}

    for name in ("JWT_SECRET", "DATABASE_URL"):
        assert facts[name].attrs["secret"] is True
        assert facts[name].evidence[0].display == f"{name}=***"
    assert "secret" not in facts["NODE_ENV"].attrs


def test_app_port_variables_are_declared_ports(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".env.example": EXAMPLE,
            "api/example.env": 'SERVER_ADDRESS = ":9090"\nDATABASE_ADDRESS=":3306"\n',
        }
    )

    ports = of_kind(extract(index), FactKind.PORT)

    assert [(p.key, p.attrs["role"], p.attrs["variable"]) for p in ports] == [
        ("3000", "declared", "PORT"),
        ("9090", "declared", "SERVER_ADDRESS"),
    ]
    assert_evidence_verifies(index, ports)


def test_committed_dotenv_is_a_secret_risk_without_values(make_repo: MakeRepo) -> None:
    index = make_repo({".env": "API_HOST=internal.example.com\nAPI_KEY=abc123\n"})

    facts = list(extract(index))

    [secret] = of_kind(facts, FactKind.SECRET)
    assert secret.key == "dotenv-file@.env:1"
    assert secret.attrs["kind"] == "dotenv-file"
    assert "internal" not in secret.evidence[0].display
    assert [f.evidence[0].display for f in of_kind(facts, FactKind.ENV_VAR)] == [
        "API_HOST=***",
        "API_KEY=***",
    ]
    assert_evidence_verifies(index, facts)


def test_empty_committed_dotenv_cites_the_file(make_repo: MakeRepo) -> None:
    index = make_repo({".env": ""})

    [secret] = extract(index)

    assert secret.kind is FactKind.SECRET
    assert_evidence_verifies(index, [secret])


def test_env_test_file_is_test_scope_and_examples_keep_theirs(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {".env.test": "DATABASE_NAME=test_db\n", "examples/x/.env.sample": "A=1\n"}
    )

    facts = list(extract(index))

    assert [(f.key, f.scope) for f in facts] == [
        ("DATABASE_NAME", Scope.TEST),
        ("A", Scope.EXAMPLE),
    ]


def test_other_files_and_odd_content_do_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".envrc": "export A=1\n",
            "settings.env.py": "A=1\n",
            ".env.sample": b"\xff\xfe\x00\x00",
            ".env.dist": "=novalue\n'unterminated=\"x\nB='open\n",
        }
    )

    facts = list(extract(index))

    assert [(f.key, f.attrs["default"]) for f in facts] == [("B", "open")]


def test_placeholder_values_are_no_defaults(make_repo: MakeRepo) -> None:
    index = make_repo(
        {".env.template": "STRIPE_URL=<your-url>\nREGION=changeme\nLEVEL=info\n"}
    )

    facts = of_kind(extract(index), FactKind.ENV_VAR)

    assert [(f.key, f.attrs["default"], f.attrs.get("placeholder")) for f in facts] == [
        ("STRIPE_URL", None, True),
        ("REGION", None, True),
        ("LEVEL", "info", None),
    ]
