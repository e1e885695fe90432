"""Environment variables read by Python code, and the rules shared by all."""

from pta_analyzer.extractors.envvars import extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified, keys


def by_name(facts: list[Fact]) -> dict[str, Fact]:
    """The single fact of each name (tests plant one read per name)."""
    found: dict[str, Fact] = {}
    for fact in facts:
        assert fact.key not in found, f"{fact.key} read twice"
        found[fact.key] = fact
    return found


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> dict[str, Fact]:
    facts = extract_verified(make_repo, extract, files)
    assert all(f.kind is FactKind.ENV_VAR for f in facts)
    return by_name(facts)


def test_os_environ_subscript_is_required(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"app.py": "import os\nX = os.environ['DB_URL']\n"})

    fact = facts["DB_URL"]
    assert fact.status is Status.EVIDENCED
    assert fact.scope is Scope.APP
    assert fact.source == "envvars.python.os_environ"
    assert fact.attrs["required"] is True
    assert fact.attrs["default"] is None
    assert fact.evidence[0].location == "app.py:2"


def test_environ_get_with_default_is_optional(make_repo: MakeRepo) -> None:
    code = "import os\nB = os.environ.get('BROKER', 'redis://localhost:6379')\n"
    facts = run(make_repo, {"worker.py": code})

    assert facts["BROKER"].attrs["required"] is False
    assert facts["BROKER"].attrs["default"] == "redis://localhost:6379"


def test_getenv_without_default_is_unclear(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"db.py": 'import os\nURL = os.getenv("DATABASE_URL")\n'})

    assert facts["DATABASE_URL"].attrs["required"] is None
    assert facts["DATABASE_URL"].attrs["default"] is None


def test_getenv_default_none_is_no_default(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"db.py": 'import os\nU = os.getenv("REDIS", None)\n'})

    assert facts["REDIS"].attrs["required"] is None


def test_call_spanning_lines_cites_every_line(make_repo: MakeRepo) -> None:
    code = "import os\nKEY = os.environ.get(\n    'APP_MODE', 'fast')\n"
    facts = run(make_repo, {"settings.py": code})

    assert facts["APP_MODE"].evidence[0].location == "settings.py:2-3"
    assert facts["APP_MODE"].attrs["default"] == "fast"


def test_commented_out_read_is_not_counted(make_repo: MakeRepo) -> None:
    code = "import os\n# DEBUG = os.environ.get('DJANGO_DEBUG', '')\nDEBUG = True\n"
    facts = run(make_repo, {"settings.py": code})

    assert facts == {}


def test_from_os_import_environ(make_repo: MakeRepo) -> None:
    code = "from os import environ\nX = environ.get('FEATURE_FLAG')\n"
    facts = run(make_repo, {"app.py": code})

    assert set(facts) == {"FEATURE_FLAG"}


def test_setdefault_counts_as_a_used_name(make_repo: MakeRepo) -> None:
    code = (
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n"
    )
    facts = run(make_repo, {"manage.py": code})

    fact = facts["DJANGO_SETTINGS_MODULE"]
    assert fact.attrs["required"] is False
    assert fact.attrs["default"] == "site.settings"
    assert "sets this default" in fact.note


def test_membership_check_is_optional(make_repo: MakeRepo) -> None:
    code = "import os\nif 'DATABASE_URL' in os.environ:\n    pass\n"
    facts = run(make_repo, {"settings.py": code})

    assert facts["DATABASE_URL"].attrs["required"] is False


def test_assignment_to_environ_is_not_a_read(make_repo: MakeRepo) -> None:
    code = "import os\nos.environ['MODE'] = 'x'\nassert os.environ['MODE'] == 'x'\n"
    facts = run(make_repo, {"app.py": code})

    assert facts["MODE"].evidence[0].line_start == 3


def test_constant_in_same_file_is_resolved(make_repo: MakeRepo) -> None:
    code = "import os\nENV_DIR = 'APP_CONFIG_DIR'\nd = os.environ.get(ENV_DIR)\n"
    facts = run(make_repo, {"cli.py": code})

    assert facts["APP_CONFIG_DIR"].evidence[0].line_start == 3


def test_computed_name_is_skipped(make_repo: MakeRepo) -> None:
    code = "import os\nd = os.environ.get(prefix + '_DIR')\ne = os.getenv(f'{p}_X')\n"
    facts = run(make_repo, {"cli.py": code})

    assert facts == {}


def test_ambient_and_interpreter_names_are_excluded(make_repo: MakeRepo) -> None:
    code = (
        "import os\nh = os.environ['HOME']\np = os.getenv('PATH')\n"
        "u = os.getenv('PYTHONUNBUFFERED')\nl = os.getenv('LC_ALL')\n"
        "x = os.getenv('XDG_DATA_HOME')\nk = os.getenv('API_HOST')\n"
    )
    facts = run(make_repo, {"app.py": code})

    assert set(facts) == {"API_HOST"}


def test_read_in_tests_is_tagged_test(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"tests/test_app.py": "import os\nos.getenv('TOKEN_X')\n"})

    assert facts["TOKEN_X"].scope is Scope.TEST


def test_load_dotenv_is_noted(make_repo: MakeRepo) -> None:
    code = (
        "import os\nfrom dotenv import load_dotenv\nload_dotenv()\nos.getenv('A_B')\n"
    )
    facts = run(make_repo, {"app.py": code})

    assert "python-dotenv" in facts["A_B"].note


def test_secret_default_is_withheld(make_repo: MakeRepo) -> None:
    code = "import os\nK = os.environ.get('DJANGO_SECRET_KEY', 'insecure-abc-123')\n"
    facts = run(make_repo, {"settings.py": code})

    fact = facts["DJANGO_SECRET_KEY"]
    assert fact.attrs["secret"] is True
    assert fact.attrs["default"] is None
    assert fact.attrs["required"] is False
    assert "insecure-abc-123" not in fact.evidence[0].display


def test_django_environ_required_and_defaults(make_repo: MakeRepo) -> None:
    code = (
        "import environ\n"
        "env = environ.Env(DEBUG=(bool, False))\n"
        "SECRET = env('DJANGO_KEY')\n"
        "DEBUG = env('DEBUG')\n"
        "HOSTS = env.list('ALLOWED_HOSTS', default=['*'])\n"
        "PORT = env.int('PORT_NUMBER', default=8000)\n"
        "DATABASES = {'default': env.db()}\n"
    )
    facts = run(make_repo, {"settings.py": code})

    assert facts["DJANGO_KEY"].attrs["required"] is True
    assert facts["DEBUG"].attrs["required"] is False
    assert facts["ALLOWED_HOSTS"].attrs["required"] is False
    assert facts["PORT_NUMBER"].attrs["default"] == "8000"
    assert facts["DATABASE_URL"].attrs["required"] is True


def test_environment_alone_is_no_read_but_environs_env_is(make_repo: MakeRepo) -> None:
    # "environment" is not environ as a word; the environs package's Env( is
    # read like django-environ's (the file says "environ" only inside words).
    facts = run(
        make_repo,
        {
            "notes.py": "ENVIRONMENT = 'prod'\nx = get_environment()['A']\n",
            "conf.py": "from environs import Env\nenv = Env()\nURL = env('API_URL')\n",
        },
    )

    assert set(facts) == {"API_URL"}
    assert facts["API_URL"].evidence[0].location == "conf.py:3"


def test_decouple_config(make_repo: MakeRepo) -> None:
    code = (
        "from decouple import config\n"
        "KEY = config('APP_KEY')\n"
        "DEBUG = config('APP_DEBUG', default=False, cast=bool)\n"
    )
    facts = run(make_repo, {"settings.py": code})

    assert facts["APP_KEY"].attrs["required"] is True
    assert facts["APP_DEBUG"].attrs["required"] is False
    assert facts["APP_DEBUG"].attrs["default"] == "False"


def test_pydantic_settings_fields_with_prefix(make_repo: MakeRepo) -> None:
    code = (
        "from pydantic import Field\n"
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n"
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='app_')\n"
        "    database_url: str\n"
        "    debug: bool = False\n"
        "    token: str = Field(..., alias='EXTERNAL_TOKEN')\n"
    )
    facts = run(make_repo, {"config.py": code})

    assert set(facts) == {"APP_DATABASE_URL", "APP_DEBUG", "EXTERNAL_TOKEN"}
    assert facts["APP_DATABASE_URL"].attrs["required"] is True
    assert facts["APP_DEBUG"].attrs["default"] == "False"
    assert facts["EXTERNAL_TOKEN"].attrs["required"] is True
    assert facts["APP_DATABASE_URL"].evidence[0].location == "config.py:6"


def test_pydantic_v1_config_prefix_and_subclass(make_repo: MakeRepo) -> None:
    code = (
        "from pydantic import BaseSettings\n"
        "class Base(BaseSettings):\n"
        "    name: str = 'x'\n"
        "    class Config:\n"
        "        env_prefix = 'SVC_'\n"
        "class Prod(Base):\n"
        "    replicas: int = 2\n"
    )
    facts = run(make_repo, {"config.py": code})

    assert set(facts) == {"SVC_NAME", "REPLICAS"}


def test_unparsable_python_does_not_raise(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "bad.py": "class S(BaseSettings:\n  x: int\nos.environ.get(",
        "bin.py": b"\x00\x01environ\xff",
        "latin.py": b"import os\nos.getenv('CAF\xe9')\nos.getenv('OK_NAME')\n",
    }
    facts = run(make_repo, files)

    assert set(facts) == {"OK_NAME"}


def test_non_source_files_are_not_read(make_repo: MakeRepo) -> None:
    index = make_repo({"README.md": "Set `os.environ['DOC_ONLY']` first.\n"})

    assert keys(extract(index), FactKind.ENV_VAR) == set()


def test_docstring_examples_are_not_reads(make_repo: MakeRepo) -> None:
    code = (
        "def load():\n"
        '    """Example::\n\n        os.environ["YOURAPP_SETTINGS"]\n    """\n'
        "    return os.environ.get('REAL_ONE')\n"
    )
    facts = run(make_repo, {"config.py": code})

    assert set(facts) == {"REAL_ONE"}


def test_flask_from_envvar_names_a_config_file(make_repo: MakeRepo) -> None:
    code = (
        "app.config.from_envvar('APP_SETTINGS')\n"
        "app.config.from_envvar('EXTRA_SETTINGS', silent=True)\n"
    )
    facts = run(make_repo, {"app.py": code})

    assert facts["APP_SETTINGS"].attrs["required"] is True
    assert facts["EXTRA_SETTINGS"].attrs["required"] is False


def test_secret_flag_skips_names_about_secret_handling(make_repo: MakeRepo) -> None:
    code = (
        "import os\n"
        "a = os.getenv('RESET_PASSWORD_LOCK_TIME')\n"
        "b = os.getenv('ACCESS_TOKEN_EXPIRE_MINUTES')\n"
        "c = os.getenv('STRIPE_API_KEY')\n"
    )
    facts = run(make_repo, {"settings.py": code})

    assert facts["RESET_PASSWORD_LOCK_TIME"].attrs["secret"] is False
    assert facts["ACCESS_TOKEN_EXPIRE_MINUTES"].attrs["secret"] is False
    assert facts["STRIPE_API_KEY"].attrs["secret"] is True


def test_template_default_is_not_a_value(make_repo: MakeRepo) -> None:
    code = (
        "import os\n"
        "os.environ.setdefault(\n"
        "    'DJANGO_SETTINGS_MODULE', '{{ project_name }}.settings')\n"
    )
    facts = run(make_repo, {"project_template/wsgi.py": code})

    assert facts["DJANGO_SETTINGS_MODULE"].attrs["default"] is None


def test_helper_reading_its_argument_makes_calls_reads(make_repo: MakeRepo) -> None:
    code = (
        "import os\n"
        "def env_bool(name, default=False):\n"
        "    value = os.environ.get(name)\n"
        "    return default if value is None else value == '1'\n"
        "\n"
        "class Other:\n"
        "    def get(self, key):\n"
        "        return os.environ[key]\n"
        "\n"
        "DEBUG = env_bool('APP_DEBUG')\n"
        "CACHE = env_bool('USE_CACHE', True)\n"
        "x = env_bool(computed)\n"
    )
    facts = run(make_repo, {"settings.py": code})

    assert set(facts) == {"APP_DEBUG", "USE_CACHE"}
    assert facts["APP_DEBUG"].source == "envvars.python.env_helper"
    assert facts["APP_DEBUG"].evidence[0].location == "settings.py:10"
    assert facts["USE_CACHE"].attrs["required"] is False
