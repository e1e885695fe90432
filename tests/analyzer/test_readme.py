"""The README extractor: documented commands, ports and the description."""

from pta_analyzer.extractors.readme import extract
from pta_analyzer.facts import WEIGHT_DOCUMENTED, Fact, FactKind
from pta_analyzer.index import RepoIndex
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, of_kind


def without_description(index: RepoIndex) -> list[Fact]:
    """The extractor's facts other than the description: commands and ports."""
    return [f for f in extract(index) if f.kind is not FactKind.DESCRIPTION]


README = """\
# Bookshelf

[![CI](https://example.com/badge.svg)](https://example.com)

<p align="center">
  <img src="logo.png">
</p>

Bookshelf is a small **Flask** API for tracking [books](https://x.y) you own.

## Getting started

```sh
$ cd server
$ pip install -r requirements.txt
Collecting flask
$ flask run --port=5001
```

Then open http://localhost:5001 in a browser.

## Tests

- Run `pytest` from the server directory.

## Production

```bash
gunicorn app:app
npm start
```

## Example

```python
import os
os.system("pip install nothing")
```
"""


def test_shell_blocks_under_headings_become_documented_commands(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"README.md": README, "server/app.py": ""})

    facts = list(extract(index))

    commands = [
        (f.kind, f.key, f.cwd, f.evidence[0].location)
        for f in facts
        if f.kind not in {FactKind.PORT, FactKind.DESCRIPTION}
    ]
    assert commands == [
        (FactKind.INSTALL, "pip install -r requirements.txt", "server", "README.md:15"),
        (FactKind.DEV, "flask run --port=5001", "server", "README.md:17"),
        (FactKind.TEST, "pytest", "", "README.md:24"),
        (FactKind.PROD, "gunicorn app:app", "", "README.md:29"),
        (FactKind.PROD, "npm start", "", "README.md:30"),
    ]
    assert all(f.weight == WEIGHT_DOCUMENTED for f in facts)
    assert_evidence_verifies(index, facts)


def test_heading_decides_between_dev_and_prod(make_repo: MakeRepo) -> None:
    index = make_repo({"README.md": "## Running locally\n\n```\nnpm start\n```\n"})

    facts = list(extract(index))

    assert [(f.kind, f.key, f.attrs["heading"]) for f in facts] == [
        (FactKind.DEV, "npm start", "Running locally")
    ]


def test_local_urls_are_documented_ports(make_repo: MakeRepo) -> None:
    index = make_repo({"README.md": README, "server/app.py": ""})

    ports = of_kind(extract(index), FactKind.PORT)

    assert [(p.key, p.attrs["role"], p.evidence[0].location) for p in ports] == [
        ("5001", "documented", "README.md:20")
    ]
    assert_evidence_verifies(index, ports)


def test_description_is_the_first_real_paragraph_without_markup(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"README.md": README})

    [description] = of_kind(extract(index), FactKind.DESCRIPTION)

    assert description.key == (
        "Bookshelf is a small Flask API for tracking books you own."
    )
    assert description.evidence[0].location == "README.md:9"
    assert_evidence_verifies(index, [description])


def test_long_description_is_cut_at_a_word(make_repo: MakeRepo) -> None:
    index = make_repo({"README.md": "# X\n\n" + "word " * 100 + "\n"})

    [description] = of_kind(extract(index), FactKind.DESCRIPTION)

    assert len(description.key) <= 300
    assert description.key.endswith("word…")


def test_inline_code_only_under_relevant_headings(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "README.md": (
                "# Tool\n\nA tool that wraps `make test` for you, and more.\n\n"
                "## Setup\n\n- `bundle install` to install\n- `rails s` to start\n"
            )
        }
    )

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.INSTALL, "bundle install"),
        (FactKind.DEV, "rails s"),
    ]


def test_indented_block_and_setext_heading(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "CONTRIBUTING.md": (
                "Contributing\n============\n\nRun the tests:\n\n"
                "    $ tox\n\n- a list\n\n    continued item text\n"
            )
        }
    )

    facts = list(extract(index))

    assert [(f.key, f.evidence[0].location) for f in facts] == [
        ("tox", "CONTRIBUTING.md:6")
    ]
    assert_evidence_verifies(index, facts)


def test_cd_into_the_clone_directory_means_the_root(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "README.md": (
                "## Install\n\n```bash\ngit clone https://x/y.git my-app\n"
                "cd my-app\nyarn\n```\n"
            )
        }
    )

    [fact] = extract(index)

    assert (fact.kind, fact.key, fact.cwd) == (FactKind.INSTALL, "yarn", "")


def test_component_readme_commands_run_in_its_directory(make_repo: MakeRepo) -> None:
    index = make_repo({"client/README.md": "## Setup\n\n```sh\nnpm install\n```\n"})

    [fact] = extract(index)

    assert (fact.key, fact.cwd, fact.scope) == ("npm install", "client", Scope.APP)


def test_docs_and_examples_keep_their_scope(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "docs/deploy.md": "## Deploy\n\n```sh\ngunicorn app:app\n```\n",
            "examples/demo/README.md": "## Run\n\n```sh\npython demo.py\n```\n",
            "tests/README.md": "## Run\n\n```sh\npytest\n```\n",
        }
    )

    facts = list(extract(index))

    assert [(f.key, f.scope, f.cwd) for f in facts] == [
        ("gunicorn app:app", Scope.DOCS, "")
    ]


def test_contributing_in_github_dir_is_docs_and_gives_no_ports(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            ".github/CONTRIBUTING.md": (
                "## Testing\n\n```sh\nmake test\n```\n\nDocs at http://localhost:8000\n"
            )
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key, f.scope, f.cwd) for f in facts] == [
        (FactKind.TEST, "make test", Scope.DOCS, "")
    ]


def test_rst_literal_blocks_and_headings(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "README.rst": (
                "Thing\n=====\n\nA library that parses things, quickly and well.\n\n"
                "Installation\n------------\n\nInstall it::\n\n  pip install thing\n\n"
                ".. code-block:: bash\n\n   python -m pytest\n"
            )
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key, f.evidence[0].line_start) for f in facts] == [
        (FactKind.INSTALL, "pip install thing", 11),
        (FactKind.TEST, "python -m pytest", 15),
        (FactKind.DESCRIPTION, "A library that parses things, quickly and well.", 4),
    ]
    assert_evidence_verifies(index, facts)


def test_odd_documents_do_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "README.md": "```sh\nunclosed fence\n# ## ###\n`\n",
            "INSTALL": b"\xff\xfe\x00\x00binary-ish",
            "README.rst": "::\n\n" + "=" * 10 + "\n",
        }
    )

    assert list(extract(index)) == []


def test_database_urls_and_service_addresses_are_not_app_ports(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "README.md": (
                "Tests need Postgres on 127.0.0.1:5432.\n"
                "Set DATABASE_URL=postgres://u:p@localhost:5433/db\n"
                "Flower runs at http://localhost:5555 and the API at 0.0.0.0:8000.\n"
            )
        }
    )

    ports = of_kind(extract(index), FactKind.PORT)

    assert [p.key for p in ports] == ["5555", "8000"]


def test_headings_that_are_commands_count_under_their_parent(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "README.md": (
                "## Available Scripts\n\n### `npm start`\n\nRuns the app.\n\n"
                "### `npm run build`\n\nBuilds it.\n\n### `npm run eject`\n"
            )
        }
    )

    facts = list(extract(index))

    assert [(f.kind, f.key, f.evidence[0].line_start) for f in facts] == [
        (FactKind.DEV, "npm start", 3),
        (FactKind.BUILD, "npm run build", 7),
    ]
    assert_evidence_verifies(index, facts)


def test_descriptive_title_stands_in_for_a_missing_paragraph(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {"README.md": "# Testing an Async API with FastAPI\n\n## Use\n\nRun it:\n"}
    )

    [description] = of_kind(extract(index), FactKind.DESCRIPTION)

    assert (description.key, description.source) == (
        "Testing an Async API with FastAPI",
        "readme.title",
    )


def test_a_bare_name_title_is_no_description(make_repo: MakeRepo) -> None:
    index = make_repo({"README.md": "# zoxide\n\n## Install\n"})

    assert of_kind(extract(index), FactKind.DESCRIPTION) == []


def test_inline_code_naming_a_file_is_not_a_command(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "README.md": (
                "## Setup\n\nEdit `install.sh` and `config.py` first.\n"
                "Then run `./install.sh` and start with `python app.py`.\n"
            )
        }
    )

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.INSTALL, "./install.sh"),
        (FactKind.DEV, "python app.py"),
    ]


def test_inline_code_in_a_table_cell_counts(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "README.md": (
                "## Installation\n\n| Any | crates.io | `cargo install x --locked` |\n"
            )
        }
    )

    assert [f.key for f in extract(index)] == ["cargo install x --locked"]


def test_a_path_in_prose_is_a_command_only_when_the_text_says_to_run_it(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "README.md": (
                "## Development\n\n"
                "Add models and SQL tables in `./app/models.py`, tests in "
                "`./tests/`, and comment the line in `scripts/prestart.sh`.\n"
                "Some tests use `VCR.py` cassettes.\n"
                "Then run `scripts/prestart.sh` once.\n"
            )
        }
    )

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [(FactKind.DEV, "scripts/prestart.sh")]
    assert_evidence_verifies(index, facts)


def test_an_rst_literal_naming_a_file_is_not_a_command(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"README.rst": "Testing\n=======\n\nTests live in ``tests/test_app.py``.\n"}
    )

    assert without_description(index) == []


def test_commands_after_cd_into_a_generated_project_are_not_the_repositorys(
    make_repo: MakeRepo,
) -> None:
    readme = (
        "## Getting started\n\n```sh\npip install mylib\nmylib start mysite\n"
        "cd mysite\npython manage.py runserver\n```\n"
    )
    index = make_repo({"README.md": readme})

    facts = without_description(index)

    assert [f.key for f in facts] == ["pip install mylib"]
    assert_evidence_verifies(index, facts)


def test_later_blocks_of_a_section_that_left_the_checkout_are_skipped(
    make_repo: MakeRepo,
) -> None:
    readme = (
        "## Quick Start\n\nCreate the app:\n\n```bash\ngen /tmp/foo && cd /tmp/foo\n"
        "```\n\nInstall:\n\n```bash\nnpm install\n```\n\nStart:\n\n"
        "```bash\nnpm start\n```\n\n## Tests\n\n```bash\nnpm test\n```\n"
    )
    index = make_repo({"README.md": readme})

    facts = without_description(index)

    assert [f.key for f in facts] == ["npm test"]


def test_cd_into_the_clone_stays_in_the_checkout(make_repo: MakeRepo) -> None:
    readme = (
        "## Install\n\n```sh\ngit clone https://x.y/me/app.git\ncd app\n"
        "npm install\n```\n"
    )
    index = make_repo({"README.md": readme})

    facts = without_description(index)

    assert [(f.key, f.cwd) for f in facts] == [("npm install", "")]


def test_a_frameworks_readme_starts_its_users_apps_not_the_repository(
    make_repo: MakeRepo,
) -> None:
    readme = (
        "# Flask\n\n## A Simple Example\n\n```sh\n$ pip install -e .\n"
        "$ flask run\n  * Running on http://127.0.0.1:5000/\n```\n"
    )
    pyproject = '[build-system]\nrequires = ["flit"]\n\n[project]\nname = "Flask"\n'
    index = make_repo({"README.md": readme, "pyproject.toml": pyproject})

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [(FactKind.INSTALL, "pip install -e .")]


def test_an_application_readme_keeps_its_run_commands_and_ports(
    make_repo: MakeRepo,
) -> None:
    readme = "## Run\n\n```sh\nnpm start\n```\n\nOpen http://localhost:3000\n"
    package = '{"name": "shop-api", "dependencies": {"express": "^4"}}'
    index = make_repo({"README.md": readme, "package.json": package})

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.DEV, "npm start"),
        (FactKind.PORT, "3000"),
    ]


def test_a_published_librarys_readme_runs_its_users_programs(
    make_repo: MakeRepo,
) -> None:
    readme = (
        "# ky\n\n## Install\n\n```sh\nnpm install ky\nnpm install express\n```\n\n"
        "## Usage\n\n"
        "```sh\nnode --use-env-proxy app.js\n```\n\nUse http://localhost:3000\n"
    )
    package = '{"name": "ky", "main": "./distribution/index.js"}'
    index = make_repo({"README.md": readme, "package.json": package})

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [(FactKind.INSTALL, "npm install ky")]


def test_a_one_word_span_needs_prose_that_says_to_run_it(make_repo: MakeRepo) -> None:
    readme = (
        "## Development\n\nThis starts a server using `nodemon`, which reloads.\n"
        "Use `tox` to run every suite.\n"
    )
    index = make_repo({"README.md": readme})

    facts = without_description(index)

    assert [(f.kind, f.key) for f in facts] == [(FactKind.TEST, "tox")]
