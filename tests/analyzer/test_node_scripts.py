"""What each package.json script is for, and how each manager runs it."""

import pytest

from pta_analyzer.extractors.node_json import key_spans
from pta_analyzer.extractors.node_scripts import (
    NPM_TEST_PLACEHOLDER,
    classify_script,
    install_command,
    is_compile_only,
    script_command,
)
from pta_analyzer.facts import FactKind


@pytest.mark.parametrize(
    ("name", "body", "kind"),
    [
        ("start", "node server.js", FactKind.PROD),
        ("start", "react-scripts start", FactKind.DEV),
        ("dev", "nodemon src/index.js", FactKind.DEV),
        ("serve", "vue-cli-service serve", FactKind.DEV),
        ("start:dev", "nest start --watch", FactKind.DEV),
        ("start:prod", "node dist/main", FactKind.PROD),
        ("build", "tsc -p .", FactKind.BUILD),
        ("build:css", "sass src:dist", FactKind.BUILD),
        ("test", "jest", FactKind.TEST),
        ("test:unit", "mocha test/unit", FactKind.TEST),
        ("e2e", "playwright test", FactKind.TEST),
        ("migrate", "knex migrate:latest", FactKind.MIGRATE),
        ("db:migrate", "sequelize db:migrate", FactKind.MIGRATE),
        ("db:deploy", "prisma migrate deploy", FactKind.MIGRATE),
        ("db:push", "turbo -F @acme/db push", FactKind.MIGRATE),
        ("push", "drizzle-kit push", FactKind.MIGRATE),
        ("dev", "tsc", FactKind.DEV),
        ("start", "vite start", FactKind.PROD),
        ("dev", "vite dev --host", FactKind.DEV),
        ("docker:test", "docker-compose up --abort-on-container-exit", FactKind.TEST),
        ("docker:prod", "docker-compose -f a.yml up", FactKind.PROD),
        ("docker:dev", "docker-compose -f a.yml up", FactKind.DEV),
        ("validate", "yarn lint && yarn test", FactKind.TEST),
        ("api", "nodemon api/index.js", FactKind.DEV),
        ("server:prod", "pm2 start ecosystem.config.js", FactKind.PROD),
        ("launch", "NODE_ENV=production node server.js", FactKind.PROD),
    ],
)
def test_script_is_classified_by_name_then_body(
    name: str, body: str, kind: FactKind
) -> None:
    assert classify_script(name, body) is kind


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("test", NPM_TEST_PLACEHOLDER),
        ("lint", "eslint ."),
        ("lint:test", "eslint test"),
        ("docs", "docsify serve docs"),
        ("prepare", "husky install"),
        ("postinstall", "prisma generate"),
        ("migrate:make", "knex migrate:make"),
        ("db:migrate:undo", "sequelize db:migrate:undo"),
        ("seed", "node scripts/seed.js"),
        ("test:watch", "jest --watch"),
        ("test:ci", "jest --watchAll"),
        ("build:watch", "tsc -p ."),
        ("compile", "tsc -w"),
        ("test:debug", "node --inspect-brk node_modules/.bin/jest"),
        ("db:seed", "node prisma/seed.js"),
        ("generate", "node tools/generate.js"),
        ("preview", "vite preview"),
        ("", "node server.js"),
        ("start", "webpack --config ./client/webpack.config.js --watch"),
        ("debug:eslint", "eslint --print-config ./client/src/a.js"),
        ("dev:lint", "eslint --watch ."),
        ("serve", "npx storybook dev -p 6006"),
        ("debug", "PWDEBUG=1 ava --timeout=2m"),
    ],
)
def test_script_that_runs_nothing_of_the_app_is_not_a_command(
    name: str, body: str
) -> None:
    assert classify_script(name, body) is None


def test_pre_and_post_hooks_are_skipped_only_when_their_script_exists() -> None:
    names = {"start", "prestart", "build", "postbuild"}

    assert classify_script("prestart", "yarn docs", names) is None
    assert classify_script("postbuild", "node copy.js", names) is None
    assert classify_script("prettest", "jest", names) is FactKind.TEST


@pytest.mark.parametrize(
    ("manager", "name", "command"),
    [
        ("npm", "start", "npm start"),
        ("npm", "test", "npm test"),
        ("npm", "test:unit", "npm run test:unit"),
        ("npm", "dev", "npm run dev"),
        ("yarn", "start", "yarn start"),
        ("yarn", "test", "yarn test"),
        ("yarn", "install", "yarn run install"),
        ("pnpm", "dev", "pnpm dev"),
        ("pnpm", "start", "pnpm start"),
        ("pnpm", "server", "pnpm run server"),
        ("bun", "start", "bun run start"),
        ("bun", "test", "bun run test"),
    ],
)
def test_script_command_uses_the_managers_syntax(
    manager: str, name: str, command: str
) -> None:
    assert script_command(manager, name) == command


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tsc", True),
        ("cross-env NODE_ENV=dev tsup --watch", True),
        ("webpack --mode development", True),
        ("webpack serve", False),
        ("tsc && node dist/index.js", False),
        ("nodemon src/index.js", False),
    ],
)
def test_compile_only_bodies_are_recognised(body: str, expected: bool) -> None:
    assert is_compile_only(body) is expected


def test_install_command_is_npm_ci_only_with_a_lockfile() -> None:
    assert install_command("npm", True) == "npm ci"
    assert install_command("npm", False) == "npm install"
    assert install_command("yarn", True) == "yarn install"
    assert install_command("pnpm", True) == "pnpm install"


def test_key_spans_give_each_key_the_lines_of_its_entry() -> None:
    text = '{\n  "a": {\n    "b": "x"\n  },\n  "list": [\n    "p/*",\n    1\n  ]\n}'

    spans = key_spans(text)

    assert spans[("a", "b")] == (3, 3)
    assert spans[("a",)] == (2, 4)
    assert spans[("list", "0")] == (6, 6)
    assert spans[("list", "1")] == (7, 7)
    assert spans[("list",)] == (5, 8)


def test_key_spans_keep_what_they_saw_of_broken_text() -> None:
    assert key_spans('{"a": 1,\n "b": [1, {"c') == {("a",): (1, 1), ("b", "0"): (2, 2)}
    assert key_spans("]]}}") == {}
