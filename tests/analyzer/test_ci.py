"""The CI extractor: commands CI runs, services it starts, deploys it makes."""

import re

from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer.extractors import _ci_jobs
from pta_analyzer.extractors.ci import extract
from pta_analyzer.facts import WEIGHT_CI, FactKind
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, of_kind

WORKFLOW = """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      db:
        image: postgres:15
        ports: ["5432:5432"]
      cache:
        image: redis
    defaults:
      run:
        working-directory: server
    steps:
      - uses: actions/checkout@v4
      - name: Install
        run: |
          python -m pip install --upgrade pip
          pip install -r requirements.txt

          python manage.py migrate
      - run: python -m pytest -q
      - run: npm ci
        working-directory: ../client
      - run: flask run
"""


def test_github_step_lines_become_ci_facts_citing_their_own_line(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({".github/workflows/ci.yml": WORKFLOW})

    facts = list(extract(index))

    commands = [
        (f.kind, f.key, f.cwd, f.evidence[0].location)
        for f in facts
        if f.kind in {FactKind.INSTALL, FactKind.TEST, FactKind.MIGRATE}
    ]
    assert commands == [
        (FactKind.INSTALL, "pip install -r requirements.txt", "server",
         ".github/workflows/ci.yml:20"),
        (FactKind.MIGRATE, "python manage.py migrate", "server",
         ".github/workflows/ci.yml:22"),
        (FactKind.TEST, "python -m pytest -q", "server", ".github/workflows/ci.yml:23"),
        (FactKind.INSTALL, "npm ci", "client", ".github/workflows/ci.yml:24"),
    ]  # fmt: skip
    assert all(f.scope is Scope.CI and f.weight == WEIGHT_CI for f in facts)
    assert_evidence_verifies(index, facts)


def test_github_run_commands_are_not_claimed(make_repo: MakeRepo) -> None:
    index = make_repo({".github/workflows/ci.yml": WORKFLOW})

    facts = list(extract(index))

    assert not of_kind(facts, FactKind.DEV)
    assert not of_kind(facts, FactKind.PROD)


def test_github_services_are_ci_services_and_join_the_test_command(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({".github/workflows/ci.yml": WORKFLOW})

    facts = list(extract(index))

    services = of_kind(facts, FactKind.SERVICE)
    assert [(s.key, s.evidence[0].line_start) for s in services] == [
        ("postgres", 8),
        ("redis", 11),
    ]
    assert services[0].attrs["for"] == "ci"
    assert services[0].attrs["image"] == "postgres:15"
    test = of_kind(facts, FactKind.TEST)[0]
    assert test.attrs["services"] == ["postgres", "redis"]
    assert_evidence_verifies(index, facts)


def test_github_deploys_by_command_and_by_action(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".github/workflows/deploy.yaml": """\
jobs:
  ship:
    steps:
      - uses: docker/build-push-action@v5
        with:
          push: true
      - run: flyctl deploy --remote-only
      - uses: pypa/gh-action-pypi-publish@release/v1
      - name: Deploy to Render
        run: curl "$HOOK"
"""
        }
    )

    facts = list(extract(index))

    deploys = {
        (f.key, f.evidence[0].line_start) for f in of_kind(facts, FactKind.DEPLOY)
    }
    assert deploys == {
        ("registry:.github/workflows/deploy.yaml", 4),
        ("fly:.github/workflows/deploy.yaml", 7),
        ("pypi:.github/workflows/deploy.yaml", 8),
        ("render:.github/workflows/deploy.yaml", 9),
    }
    assert_evidence_verifies(index, facts)


def test_build_push_action_without_push_is_no_deploy(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".github/workflows/b.yml": (
                "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n"
            )
        }
    )

    assert not of_kind(extract(index), FactKind.DEPLOY)


def test_folded_block_is_one_command_citing_the_block(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".github/workflows/t.yml": """\
jobs:
  t:
    steps:
      - run: >
          pytest
          -q tests
"""
        }
    )

    facts = list(extract(index))

    assert [(f.key, f.evidence[0].location) for f in facts] == [
        ("pytest -q tests", ".github/workflows/t.yml:5-6")
    ]
    assert_evidence_verifies(index, facts)


def test_template_expressions_and_outside_directories_are_skipped(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            ".github/workflows/t.yml": """\
jobs:
  t:
    steps:
      - run: pip install -r requirements/${{ matrix.env }}.txt
      - run: pytest
        working-directory: /opt/app
      - run: cd /tmp && pytest
"""
        }
    )

    assert list(extract(index)) == []


def test_gitlab_scripts_services_and_deploy_stage(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".gitlab-ci.yml": """\
image: python:3.12
services:
  - postgres:16
before_script:
  - pip install -r requirements.txt
test:
  services:
    - name: redis:7
  script:
    - pytest
deploy:
  stage: deploy
  script:
    - ./release.sh
"""
        }
    )

    facts = list(extract(index))

    assert {(f.kind, f.key) for f in facts} == {
        (FactKind.SERVICE, "postgres"),
        (FactKind.SERVICE, "redis"),
        (FactKind.INSTALL, "pip install -r requirements.txt"),
        (FactKind.TEST, "pytest"),
        (FactKind.DEPLOY, "unknown:.gitlab-ci.yml"),
    }
    assert_evidence_verifies(index, facts)


def test_circleci_run_steps_and_secondary_images(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".circleci/config.yml": """\
version: 2.1
jobs:
  test:
    docker:
      - image: cimg/node:20.0
      - image: cimg/postgres:15.0
    steps:
      - checkout
      - run: yarn
      - run:
          name: Test
          command: |
            yarn lint
            yarn test
"""
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key, f.evidence[0].line_start) for f in facts] == [
        (FactKind.SERVICE, "postgres", 6),
        (FactKind.INSTALL, "yarn", 9),
        (FactKind.TEST, "yarn test", 14),
    ]
    assert_evidence_verifies(index, facts)


def test_travis_phases_services_and_deploy_provider(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".travis.yml": """\
language: ruby
services:
  - postgresql
install: bundle install
script:
  - bundle exec rake test
deploy:
  provider: heroku
"""
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.SERVICE, "postgres"),
        (FactKind.INSTALL, "bundle install"),
        (FactKind.TEST, "bundle exec rake test"),
        (FactKind.DEPLOY, "heroku:.travis.yml"),
    ]
    assert_evidence_verifies(index, facts)


def test_same_command_in_two_jobs_is_one_fact_with_both_lines(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            ".github/workflows/t.yml": (
                "jobs:\n  a:\n    steps:\n      - run: tox\n"
                "  b:\n    steps:\n      - run: tox\n"
            )
        }
    )

    facts = list(extract(index))

    assert len(facts) == 1
    assert [e.line_start for e in facts[0].evidence] == [4, 7]


def test_malformed_and_odd_ci_files_do_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".github/workflows/bad.yml": "jobs: [unclosed\n",
            ".github/workflows/list.yml": "- just\n- a list\n",
            ".github/workflows/odd.yml": (
                "jobs:\n  a: 3\n  b:\n    steps: {x: 1}\n    services: [1]\n"
                "  c:\n    steps:\n      - run: 42\n      - run: null\n      - 7\n"
            ),
            ".gitlab-ci.yml": "test: {script: {a: b}}\n",
            ".travis.yml": b"\xff\xfe\x00garbage",
        }
    )

    assert list(extract(index)) == []


def test_powershell_steps_are_not_read_as_posix_shell(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".github/workflows/w.yml": (
                "jobs:\n  w:\n    steps:\n      - run: pytest\n        shell: pwsh\n"
                "      - run: tox\n        shell: bash\n"
            )
        }
    )

    assert [f.key for f in extract(index)] == ["tox"]


def test_composite_action_steps_are_read(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            ".github/actions/setup/action.yml": (
                "runs:\n  using: composite\n  steps:\n"
                "    - run: poetry install\n      shell: bash\n"
            )
        }
    )

    [fact] = extract(index)

    assert (fact.kind, fact.key, fact.attrs["job"]) == (
        FactKind.INSTALL,
        "poetry install",
        "setup",
    )


def test_bitbucket_steps_and_declared_services(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "bitbucket-pipelines.yml": """\
definitions:
  services:
    db:
      image: mysql:8
pipelines:
  default:
    - parallel:
        - step:
            name: Test
            services:
              - db
            script:
              - composer install
              - vendor/bin/phpunit
"""
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key, f.evidence[0].line_start) for f in facts] == [
        (FactKind.SERVICE, "mysql", 11),
        (FactKind.INSTALL, "composer install", 13),
        (FactKind.TEST, "vendor/bin/phpunit", 14),
    ]
    assert_evidence_verifies(index, facts)


def test_jenkinsfile_single_line_sh_steps(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Jenkinsfile": (
                "pipeline {\n  stages {\n    stage('t') {\n      steps {\n"
                "        sh 'mvn -B test'\n        sh \"kubectl apply -f k8s/\"\n"
                "      }\n    }\n  }\n}\n"
            )
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.TEST, "mvn -B test"),
        (FactKind.DEPLOY, "kubernetes:Jenkinsfile"),
    ]
    assert_evidence_verifies(index, facts)


def test_ci_installs_of_named_tools_are_not_the_project_install(
    make_repo: MakeRepo,
) -> None:
    workflow = (
        "on: [push]\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        "      - run: pip install --user build boto3\n"
        "      - run: go install golang.org/x/lint/golint@latest\n"
        "      - run: uv pip install certifi\n"
        "      - run: pip install -e .[test]\n"
    )
    index = make_repo({".github/workflows/ci.yml": workflow})

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.INSTALL, "pip install -e .[test]")
    ]
    assert_evidence_verifies(index, facts)


def _deploy_commands() -> st.SearchStrategy[tuple[_ci_jobs.DeployCommand, str]]:
    """A deploy rule and a command its pattern finds."""
    return st.sampled_from(_ci_jobs.DEPLOY_COMMANDS).flatmap(
        lambda deploy: st.tuples(st.just(deploy), st.from_regex(deploy.pattern()))
    )


@given(_deploy_commands())
def test_every_deploy_command_passes_its_rules_cheap_test_first(
    deploy_and_command: tuple[_ci_jobs.DeployCommand, str],
) -> None:
    deploy, command = deploy_and_command
    leading = re.match(r"[a-z]+", command)
    program = leading.group() if leading else ""

    assert _ci_jobs._may_match(deploy, command, program)


def test_commands_of_other_programs_are_not_deploys() -> None:
    for deploy in _ci_jobs.DEPLOY_COMMANDS:
        assert not _ci_jobs._may_match(deploy, "pytest -q tests/", "pytest")
        assert not _ci_jobs._may_match(deploy, "Docker push x", "")
