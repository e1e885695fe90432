"""Splitting shell text into commands and saying what each one does."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer.facts import FactKind
from pta_analyzer.shellcmd import (
    Role,
    ShellCommand,
    classify,
    fact_kind,
    is_command_text,
    leaves_checkout_at,
    process_of,
    split_chain,
    split_commands,
)


def numbered(*lines: str) -> list[tuple[int, str]]:
    return list(enumerate(lines, start=1))


@pytest.mark.parametrize(
    ("command", "role"),
    [
        ("pip install -r requirements.txt", Role.INSTALL),
        ("pip3 install -e .", Role.INSTALL),
        ("python -m pip install -r requirements/dev.txt", Role.INSTALL),
        ("python3 -m venv venv", Role.INSTALL),
        ("uv sync", Role.INSTALL),
        ("uv pip install -e .", Role.INSTALL),
        ("poetry install --no-root", Role.INSTALL),
        ("pipenv install --dev", Role.INSTALL),
        ("pdm install", Role.INSTALL),
        ("python app.py", Role.RUN),
        ("python -m pytest -q", Role.TEST),
        ("python manage.py runserver 0.0.0.0:8000", Role.DEV),
        ("python manage.py test", Role.TEST),
        ("python manage.py migrate", Role.MIGRATE),
        ("./manage.py migrate", Role.MIGRATE),
        ("flask run --port=5001 --debug", Role.DEV),
        ("flask --app flaskr init-db", Role.MIGRATE),
        ("flask db upgrade", Role.MIGRATE),
        ("uvicorn app.main:app --reload", Role.DEV),
        ("uvicorn main:app --host 0.0.0.0", Role.RUN),
        ("gunicorn locallibrary.wsgi", Role.PROD),
        ("celery -A worker.celery worker --loglevel=info", Role.RUN),
        ("pytest", Role.TEST),
        ("tox -e py311", Role.TEST),
        ("nox", Role.TEST),
        ("uv run pytest", Role.TEST),
        ("poetry run python manage.py test", Role.TEST),
        ("alembic upgrade head", Role.MIGRATE),
        ("npm install", Role.INSTALL),
        ("npm ci", Role.INSTALL),
        ("yarn", Role.INSTALL),
        ("yarn --pure-lockfile", Role.INSTALL),
        ("pnpm install --frozen-lockfile", Role.INSTALL),
        ("bun install", Role.INSTALL),
        ("npm run build", Role.BUILD),
        ("npm run dev", Role.DEV),
        ("npm start", Role.RUN),
        ("npm test", Role.TEST),
        ("yarn test:unit", Role.TEST),
        ("yarn docker:dev", Role.DEV),
        ("pnpm run db:migrate", Role.MIGRATE),
        ("npx prisma migrate deploy", Role.MIGRATE),
        ("npx jest", Role.TEST),
        ("node src/index.js", Role.RUN),
        ("nodemon ./src/index.js", Role.DEV),
        ("cross-env NODE_ENV=production pm2 start ./src/index.js", Role.PROD),
        ("go mod download", Role.INSTALL),
        ("go build -o engine ./app/", Role.BUILD),
        ("go run ./app", Role.RUN),
        ("go test ./...", Role.TEST),
        ("air", Role.DEV),
        ("gotestsum", Role.TEST),
        ("cargo build --release", Role.BUILD),
        ("cargo install zoxide --locked", Role.INSTALL),
        ("cargo run", Role.RUN),
        ("cargo test --workspace", Role.TEST),
        ("cargo nextest run --all-features", Role.TEST),
        ("make test", Role.TEST),
        ("make install-deps", Role.INSTALL),
        ("make", Role.BUILD),
        ("just lint test", Role.TEST),
        ("docker build -t app .", Role.BUILD),
        ("docker-compose build", Role.BUILD),
        ("docker compose up -d --build", Role.RUN),
        ("docker-compose exec web pytest", Role.TEST),
        ("docker compose exec web python -m pytest", Role.TEST),
        ("docker-compose run --rm web python manage.py migrate", Role.MIGRATE),
        ("docker run -p 8081:8080 app", Role.RUN),
        ("bundle install", Role.INSTALL),
        ("bundle exec rails s", Role.DEV),
        ("bin/rails server", Role.DEV),
        ("rake db:migrate", Role.MIGRATE),
        ("bundle exec rake test", Role.TEST),
        ("bundle exec rspec", Role.TEST),
        ("bin/setup", Role.INSTALL),
        ("./mvnw spring-boot:run", Role.RUN),
        ("mvn clean package -DskipTests", Role.BUILD),
        ("mvn test", Role.TEST),
        ("./gradlew bootRun", Role.RUN),
        ("./gradlew clean test", Role.TEST),
        ("gradle build", Role.BUILD),
        ("java -jar build/libs/app.jar", Role.PROD),
        ("composer install", Role.INSTALL),
        ("php artisan serve", Role.DEV),
        ("php artisan migrate --force", Role.MIGRATE),
        ("dotnet restore", Role.INSTALL),
        ("dotnet test", Role.TEST),
        ("mix deps.get", Role.INSTALL),
        ("mix ecto.migrate", Role.MIGRATE),
        ("./setup.sh", Role.INSTALL),
        ("setup.sh", Role.INSTALL),
        ("./rest-server.py", Role.RUN),
        ("bash scripts/test.sh", Role.TEST),
        ("cp .env.example .env", Role.INSTALL),
        ("cp config/database.example.yml config/database.yml", Role.INSTALL),
    ],
)
def test_classify_names_the_role_of_common_tools(command: str, role: Role) -> None:
    assert classify(command) is role


@pytest.mark.parametrize(
    "command",
    [
        "Install Python 3 and git.",
        "git clone https://github.com/x/y.git",
        "python -c 'print(1)'",
        "pip install --upgrade pip",
        "pip install tox tox-gh-actions",
        "pip install -r requirements-docs.txt",
        "npm install -g nodemon",
        "yarn lint",
        "yarn test:watch",
        "make cleanup",
        "cargo clippy",
        "docker push app",
        "echo hello",
        "cp a.txt b.txt",
        "app.py",
        "",
    ],
)
def test_classify_returns_none_for_what_is_not_a_project_step(command: str) -> None:
    assert classify(command) is None


def test_split_strips_prompts_and_drops_output_lines() -> None:
    commands = split_commands(
        numbered(
            "$ pip install -r requirements.txt", "Collecting flask", "(env)$ flask run"
        )
    )

    assert commands == [
        ShellCommand("pip install -r requirements.txt", "", 1, 1),
        ShellCommand("flask run", "", 3, 3),
    ]


def test_split_joins_continuations_and_cites_every_line() -> None:
    commands = split_commands(
        numbered("uvicorn app:app \\", "  --reload \\", "  --port 8000")
    )

    assert commands == [ShellCommand("uvicorn app:app --reload --port 8000", "", 1, 3)]


def test_split_follows_cd_and_splits_chains() -> None:
    commands = split_commands(
        numbered(
            "cd server && pip install -r requirements.txt; pytest",
            "cd ../client",
            "npm ci",
        )
    )

    assert [(c.text, c.cwd, c.first_line) for c in commands] == [
        ("pip install -r requirements.txt", "server", 1),
        ("pytest", "server", 1),
        ("npm ci", "client", 3),
    ]


def test_split_stops_after_cd_leaving_the_tree() -> None:
    commands = split_commands(numbered("npm ci", "cd /usr/src/app", "npm test"))

    assert [c.text for c in commands] == ["npm ci"]


def test_split_treats_exports_and_comments_as_no_commands() -> None:
    commands = split_commands(
        numbered(
            "# install", "export FLASK_APP=app.py", "DEBUG=1", "FLASK_DEBUG=1 flask run"
        )
    )

    assert [c.text for c in commands] == ["FLASK_DEBUG=1 flask run"]


def test_split_keeps_quoted_separators_inside_one_command() -> None:
    commands = split_commands(numbered("pytest -k 'a; b' && echo done  # comment"))

    assert [c.text for c in commands] == ["pytest -k 'a; b'", "echo done"]


@pytest.mark.parametrize(
    "text",
    [
        "curl -H 'Authorization: <your-token>' http://x",
        "export KEY=YOUR_API_KEY",
        "pip install -r requirements/${{ matrix.env }}.txt",
        "Then run the server:",
        "docker run --name {project_name} app",
        "x" * 500,
    ],
)
def test_placeholders_and_prose_are_not_command_text(text: str) -> None:
    assert not is_command_text(text)


def test_fact_kind_maps_bare_run_to_the_given_default() -> None:
    assert fact_kind(Role.RUN) is FactKind.DEV
    assert fact_kind(Role.RUN, run_default=FactKind.PROD) is FactKind.PROD
    assert fact_kind(Role.TEST) is FactKind.TEST


def test_process_of_tells_workers_and_schedulers_from_web() -> None:
    assert process_of("celery -A proj worker -l info") == "worker"
    assert process_of("celery -A proj beat") == "scheduler"
    assert process_of("gunicorn app:app") == "web"


def test_subshell_cd_does_not_leak_to_later_commands() -> None:
    commands = split_commands(
        numbered("(cd client && npm ci)", "echo $(date)", "pytest")
    )

    assert [(c.text, c.cwd) for c in commands] == [
        ("npm ci", "client"),
        ("echo $(date)", ""),
        ("pytest", ""),
    ]


def test_leaves_checkout_at_the_cd_into_a_made_or_outside_directory() -> None:
    made = [(1, "django-admin startproject mysite"), (2, "cd mysite"), (3, "ls")]
    outside = [(5, "npm ci"), (6, "cd /tmp/foo && npm start")]
    cloned = [(1, "git clone https://x.y/a/app.git"), (2, "cd app")]

    assert leaves_checkout_at(made, set()) == 2
    assert leaves_checkout_at(made, {"mysite"}) is None
    assert leaves_checkout_at(outside, set()) == 6
    assert leaves_checkout_at(cloned, set()) is None
    assert leaves_checkout_at([(1, "cd server"), (2, "npm ci")], set()) is None


@pytest.mark.parametrize(
    "command",
    [
        'docker run --name pgdb --rm -e POSTGRES_USER="$U" postgres',
        "docker run -d -p 6379:6379 redis:7",
        "docker-compose up -d db",
        "docker compose up -d db mailpit",
        "python -m pip install --upgrade",
    ],
)
def test_starting_only_a_backing_service_or_installing_nothing_is_no_command(
    command: str,
) -> None:
    assert classify(command) is None


def test_compose_up_of_an_application_service_still_runs() -> None:
    assert classify("docker-compose up -d app") is Role.RUN
    assert classify("docker compose up db web") is Role.RUN
    assert classify("docker run -p 8081:8080 myapp") is Role.RUN


def test_a_script_is_a_test_only_when_its_name_says_test_as_a_word() -> None:
    assert classify("python runtests.py --parallel") is Role.TEST
    assert classify("python scripts/run_tests.py") is Role.TEST
    assert classify("python testing.py") is Role.TEST
    assert classify("python3 scripts/latest-deps-summary.py") is Role.RUN


@pytest.mark.parametrize(
    "command",
    [
        "npx playwright install --with-deps",
        "bunx playwright merge-reports --reporter html ./all-blob-reports",
        "cypress verify",
        "playwright show-report",
    ],
)
def test_a_test_runners_chores_run_no_tests(command: str) -> None:
    assert classify(command) is None


def test_a_test_runner_run_is_a_test() -> None:
    assert classify("npx playwright test --project=chromium") is Role.TEST
    assert classify("jest --ci") is Role.TEST


@pytest.mark.parametrize(
    ("command", "role"),
    [
        ("npm start", Role.RUN),
        ("npm start -- --port 3000", Role.RUN),
        ("yarn start --port 3000", Role.RUN),
        ("yarn start serve", Role.RUN),
        ("yarn start build", Role.BUILD),
        ("yarn start test.e2e", Role.TEST),
        ("yarn start db.migrate", Role.MIGRATE),
        ("yarn start lint", None),
        ('yarn start "db.seed --run CreateUsers"', None),
    ],
)
def test_start_with_a_task_name_is_judged_by_the_task(
    command: str, role: Role | None
) -> None:
    assert classify(command) is role


def test_fragments_and_outside_scripts_are_no_commands() -> None:
    assert classify("docker run") is None
    assert classify("docker run --env DB_HOST=localhost -e DB_PORT=3306") is None
    assert classify('bash "$GITHUB_ACTION_PATH/setup-sqlite.sh"') is None
    assert classify("bash ./setup.sh") is Role.INSTALL


@pytest.mark.parametrize(
    "command", ["make db-start", "make testdata", "npm run db:seed", "just redis-up"]
)
def test_targets_that_start_a_database_or_load_data_are_no_commands(
    command: str,
) -> None:
    assert classify(command) is None


def test_a_lone_ampersand_ends_a_background_command() -> None:
    commands = split_commands([(1, "go run main.go & echo $! > .pid 2>&1")])

    assert [c.text for c in commands] == ["go run main.go", "echo $! > .pid 2>&1"]


def chain_one_character_at_a_time(
    text: str, separators: str, comments: bool
) -> list[str]:
    """What ``split_chain`` must give: its rules applied character by character."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if quote:
            quote = "" if char == quote else quote
            current.append(char)
        elif char in "'\"":
            quote = char
            current.append(char)
        elif text.startswith(("&&", "||"), index):
            parts.append("".join(current))
            current = []
            index += 1
        elif char in separators or (
            char == "&" and before not in "<>&" and after not in ">&"
        ):
            parts.append("".join(current))
            current = []
        elif comments and char == "#" and (index == 0 or before.isspace()):
            break
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


@given(
    st.text(alphabet=st.sampled_from(list("ab &|;#'\"\n\t<>()\\")), max_size=20),
    st.sampled_from([";", ";\n", "", "|"]),
    st.booleans(),
)
def test_split_chain_follows_its_rules_for_any_text(
    text: str, separators: str, comments: bool
) -> None:
    expected = chain_one_character_at_a_time(text, separators, comments)

    assert split_chain(text, separators, comments) == expected
