"""Environment variables read by JavaScript and TypeScript code."""

from pta_analyzer.extractors.envvars import extract
from pta_analyzer.facts import Fact, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies
from tests.analyzer.test_envvars import run


def test_process_env_member_is_unclear(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"src/app.js": "const s = process.env.JWT_SECRET;\n"})

    fact = facts["JWT_SECRET"]
    assert fact.source == "envvars.js.process_env"
    assert fact.attrs["required"] is None
    assert fact.attrs["secret"] is True
    assert fact.evidence[0].location == "src/app.js:1"


def test_or_and_nullish_defaults(make_repo: MakeRepo) -> None:
    code = (
        "const port = process.env.PORT || 3000;\n"
        "const host = process.env['APP_HOST'] ?? '0.0.0.0';\n"
        "const level = process.env.LOG_LEVEL || (debug ? 'x' : 'y');\n"
    )
    facts = run(make_repo, {"index.js": code})

    assert facts["PORT"].attrs == {
        "required": False,
        "default": "3000",
        "secret": False,
    }
    assert facts["APP_HOST"].attrs["default"] == "0.0.0.0"
    assert facts["LOG_LEVEL"].attrs["required"] is False
    assert facts["LOG_LEVEL"].attrs["default"] is None


def test_typescript_non_null_is_required(make_repo: MakeRepo) -> None:
    code = (
        "const url: string = process.env.DATABASE_URL!;\n"
        "if (process.env.NODE_ENV !== 'production') {}\n"
    )
    facts = run(make_repo, {"src/db.ts": code})

    assert facts["DATABASE_URL"].attrs["required"] is True
    assert facts["NODE_ENV"].attrs["required"] is None


def test_assignment_to_process_env_is_not_a_read(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"setup.js": "process.env.TZ_X = 'UTC';\n"})

    assert facts == {}


def test_destructuring_with_defaults(make_repo: MakeRepo) -> None:
    code = "const {\n  API_URL,\n  RETRIES = '3',\n  ...rest\n} = process.env;\n"
    facts = run(make_repo, {"config.js": code})

    assert set(facts) == {"API_URL", "RETRIES"}
    assert facts["API_URL"].evidence[0].location == "config.js:2"
    assert facts["RETRIES"].attrs["default"] == "3"
    assert facts["RETRIES"].attrs["required"] is False


def test_import_meta_env_skips_vite_builtins(make_repo: MakeRepo) -> None:
    code = "const a = import.meta.env.VITE_API;\nconst m = import.meta.env.MODE;\n"
    facts = run(make_repo, {"src/main.ts": code})

    assert set(facts) == {"VITE_API"}
    assert facts["VITE_API"].source == "envvars.js.import_meta_env"


def test_commented_reads_are_ignored(make_repo: MakeRepo) -> None:
    code = "// process.env.OLD_ONE\n/* process.env.OLD_TWO */\nprocess.env.NEW_ONE;\n"
    facts = run(make_repo, {"a.js": code})

    assert set(facts) == {"NEW_ONE"}


def test_env_var_package_chain(make_repo: MakeRepo) -> None:
    code = (
        "const env = require('env-var');\n"
        "const a = env.get('REDIS_URL').required().asString();\n"
        "const b = env.get('WORKERS').default('4').asIntPositive();\n"
        "const c = map.get('NOT_ENV');\n"
    )
    facts = run(make_repo, {"config.js": code})

    assert set(facts) == {"REDIS_URL", "WORKERS"}
    assert facts["REDIS_URL"].attrs["required"] is True
    assert facts["WORKERS"].attrs["default"] == "4"


def test_envalid_clean_env(make_repo: MakeRepo) -> None:
    code = (
        "import { cleanEnv, str, port } from 'envalid';\n"
        "export const env = cleanEnv(process.env, {\n"
        "  API_KEY: str(),\n"
        "  PORT: port({ default: 8080 }),\n"
        "});\n"
    )
    facts = run(make_repo, {"env.ts": code})

    assert facts["API_KEY"].attrs["required"] is True
    assert facts["API_KEY"].evidence[0].location == "env.ts:3"
    assert facts["PORT"].attrs == {
        "required": False,
        "default": "8080",
        "secret": False,
    }


def test_dotenv_safe_makes_every_example_name_required(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/config/vars.js": (
            "const path = require('path');\n"
            "require('dotenv-safe').config({\n"
            "  example: path.join(__dirname, '../../.env.example'),\n"
            "});\n"
            "module.exports = { port: process.env.PORT };\n"
        ),
        ".env.example": "PORT=3000\n# comment\nMAIL_HOST=\n",
    }
    index = make_repo(files)
    facts = list(extract(index))
    assert_evidence_verifies(index, facts)

    safe = {f.key: f for f in facts if f.source == "envvars.js.dotenv_safe"}
    assert set(safe) == {"PORT", "MAIL_HOST"}
    assert [e.location for e in safe["MAIL_HOST"].evidence] == [
        "src/config/vars.js:2",
        ".env.example:3",
    ]
    assert safe["MAIL_HOST"].attrs["required"] is True
    read = [f for f in facts if f.source == "envvars.js.process_env"]
    assert [(f.key, f.attrs["required"]) for f in read] == [("PORT", True)]


def test_dotenv_safe_without_example_file_adds_nothing(make_repo: MakeRepo) -> None:
    code = "require('dotenv-safe').config();\nconst p = process.env.PORT;\n"
    facts = run(make_repo, {"index.js": code})

    assert facts["PORT"].attrs["required"] is None


def test_agent_reads_its_prefixed_names_from_the_example(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "app/apm.js": "const apm = require('elastic-apm-node');\napm.start({});\n",
        ".env.example": "APP_NAME=\nELASTIC_APM_SERVICE_NAME=\n",
    }
    index = make_repo(files)
    facts: list[Fact] = list(extract(index))
    assert_evidence_verifies(index, facts)

    assert [f.key for f in facts] == ["ELASTIC_APM_SERVICE_NAME"]
    assert facts[0].status is Status.INFERRED
    assert [e.location for e in facts[0].evidence] == [
        "app/apm.js:1",
        ".env.example:2",
    ]


def test_agent_settings_need_a_prefixed_name_in_an_example(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "app/apm.js": "const apm = require('elastic-apm-node');\napm.start({});\n",
        "app/tracing.py": "import sentry_sdk\n",
        ".env.example": "APP_NAME=\nDD_ENV=\n",
    }
    index = make_repo(files)

    assert list(extract(index)) == []


def test_agent_settings_come_from_the_example_nearest_the_import(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "svc/app/tracing.py": "import sentry_sdk\n",
        "svc/.env.example": "SENTRY_DSN=\n",
        "other/.env.example": "SENTRY_ENVIRONMENT=\n",
    }
    index = make_repo(files)
    facts: list[Fact] = list(extract(index))
    assert_evidence_verifies(index, facts)

    assert [f.key for f in facts] == ["SENTRY_DSN"]
    assert facts[0].source == "envvars.agent_settings"


def test_spec_file_reads_are_tagged_test(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"src/app.spec.ts": "process.env.MOCK_URL;\n"})

    assert facts["MOCK_URL"].scope is Scope.TEST


def test_minified_and_broken_js_do_not_raise(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "dist/app.min.js": "process.env.MINIFIED_X;",
        "broken.js": "const { A = ` = process.env; cleanEnv(process.env, {",
        "odd.js": "process.env[someVar]; process.env[`T_${x}`];\n",
    }
    facts = run(make_repo, files)

    assert facts == {}


def test_dotenv_safe_side_effect_import(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/index.ts": "import 'dotenv-safe/config';\n",
        ".env.example": "SESSION_SECRET=\n",
    }
    facts = run(make_repo, files)

    assert facts["SESSION_SECRET"].attrs["required"] is True
    assert facts["SESSION_SECRET"].source == "envvars.js.dotenv_safe"


def test_zod_schema_keys_validated_against_process_env(make_repo: MakeRepo) -> None:
    code = (
        "import { z } from 'zod';\n"
        "const schema = z.object({\n"
        "  DATABASE_URL: z.string().url(),\n"
        "  PORT: z.coerce.number().default(3000),\n"
        "  SENTRY_DSN: z.string().optional(),\n"
        "  nested: z.object({ inner: z.string() }),\n"
        "});\n"
        "export const env = schema.parse(process.env);\n"
    )
    facts = run(make_repo, {"src/env.ts": code})

    assert set(facts) == {"DATABASE_URL", "PORT", "SENTRY_DSN"}
    assert facts["DATABASE_URL"].attrs["required"] is True
    assert facts["DATABASE_URL"].evidence[0].location == "src/env.ts:3"
    assert facts["PORT"].attrs == {
        "required": False,
        "default": "3000",
        "secret": False,
    }
    assert facts["SENTRY_DSN"].attrs["required"] is False


def test_joi_schema_required_and_defaults(make_repo: MakeRepo) -> None:
    code = (
        "const schema = Joi.object({\n"
        "  NODE_ENV: Joi.string().valid('a', 'b').default('a'),\n"
        "  JWT_SECRET: Joi.string().required().description('secret'),\n"
        "  LOG_FORMAT: Joi.string(),\n"
        "}).unknown();\n"
        "const { value } = schema.validate(process.env);\n"
    )
    facts = run(make_repo, {"config/config.js": code})

    assert facts["NODE_ENV"].attrs["default"] == "a"
    assert facts["JWT_SECRET"].attrs["required"] is True
    assert facts["LOG_FORMAT"].attrs["required"] is None


def test_t3_create_env_groups(make_repo: MakeRepo) -> None:
    code = (
        "export const env = createEnv({\n"
        "  server: { AUTH_SECRET: z.string(), REDIS_URL: z.string().optional() },\n"
        "  client: { NEXT_PUBLIC_SITE: z.string() },\n"
        "  runtimeEnv: {},\n"
        "});\n"
    )
    facts = run(make_repo, {"src/env.mjs": code})

    assert set(facts) == {"AUTH_SECRET", "REDIS_URL", "NEXT_PUBLIC_SITE"}
    assert facts["AUTH_SECRET"].attrs["required"] is True


def test_schema_without_process_env_is_not_env(make_repo: MakeRepo) -> None:
    code = "const Body = z.object({ TITLE: z.string() });\nBody.parse(req.body);\n"
    facts = run(make_repo, {"src/routes.ts": code})

    assert facts == {}


def test_helper_returning_process_env_of_its_argument(make_repo: MakeRepo) -> None:
    code = (
        "const env = (key: string, fallback?: string) =>\n"
        "  process.env[key] ?? fallback;\n"
        "function must(name) {\n"
        "  const v = process.env[name];\n"
        "  if (!v) throw new Error(name);\n"
        "  return v;\n"
        "}\n"
        "export const api = env('API_URL', 'http://localhost');\n"
        "export const key = must('SIGNING_KEY');\n"
        "export const other = format('NOT_ENV');\n"
    )
    facts = run(make_repo, {"src/config.ts": code})

    assert set(facts) == {"API_URL", "SIGNING_KEY"}
    assert facts["API_URL"].attrs["default"] == "http://localhost"
    assert facts["SIGNING_KEY"].source == "envvars.js.env_helper"


def test_reads_of_a_validated_env_module_are_variables(make_repo: MakeRepo) -> None:
    code = (
        'import { env } from "~/env";\n'
        "const base = env.VERCEL_ENV === 'production'\n"
        "  ? `https://${env.VERCEL_PROJECT_PRODUCTION_URL}` : local;\n"
        "const other = config.env.NOT_THIS;\n"
    )
    facts = run(make_repo, {"apps/web/src/auth/server.ts": code})

    assert set(facts) == {"VERCEL_ENV", "VERCEL_PROJECT_PRODUCTION_URL"}
