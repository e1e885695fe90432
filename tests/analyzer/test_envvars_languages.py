"""Environment variables read by Go, Rust, Ruby, JVM, PHP, Elixir, shell, config."""

from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo
from tests.analyzer.test_envvars import run

# --- Go ---------------------------------------------------------------------


def test_go_getenv_and_lookupenv(make_repo: MakeRepo) -> None:
    code = (
        "package main\n"
        'import "os"\n'
        'const keyName = "API_KEY_NAME"\n'
        "func main() {\n"
        '\thost := os.Getenv("DATABASE_HOST")\n'
        '\tif v, ok := os.LookupEnv("DEBUG_MODE"); ok {}\n'
        "\tk := os.Getenv(keyName)\n"
        '\t// old := os.Getenv("OLD_VAR")\n'
        "}\n"
    )
    facts = run(make_repo, {"app/main.go": code})

    assert set(facts) == {"DATABASE_HOST", "DEBUG_MODE", "API_KEY_NAME"}
    assert facts["DATABASE_HOST"].attrs["required"] is None
    assert facts["DEBUG_MODE"].attrs["required"] is False
    assert facts["DATABASE_HOST"].evidence[0].location == "app/main.go:5"


def test_go_struct_tags(make_repo: MakeRepo) -> None:
    code = (
        "package config\n"
        "type Config struct {\n"
        '\tPort int    `env:"PORT" envDefault:"8080"`\n'
        '\tDSN  string `env:"DSN,required"`\n'
        '\tUser string `envconfig:"USER_NAME" required:"true"`\n'
        "}\n"
        'func Load() { envconfig.Process("myapp", &c) }\n'
    )
    facts = run(make_repo, {"config/config.go": code})

    assert facts["PORT"].attrs["default"] == "8080"
    assert facts["PORT"].attrs["required"] is False
    assert facts["DSN"].attrs["required"] is True
    assert facts["MYAPP_USER_NAME"].attrs["required"] is True


def test_go_viper_prefix_automatic_env(make_repo: MakeRepo) -> None:
    code = (
        "package main\n"
        "func init() {\n"
        '\tviper.SetEnvPrefix("app")\n'
        '\tviper.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))\n'
        "\tviper.AutomaticEnv()\n"
        '\tviper.SetDefault("server.port", 8080)\n'
        '\tviper.BindEnv("token", "GITHUB_TOKEN_X")\n'
        '\tp := viper.GetInt("server.port")\n'
        "}\n"
    )
    facts = run(make_repo, {"cmd/root.go": code})

    assert set(facts) == {"APP_SERVER_PORT", "GITHUB_TOKEN_X"}
    assert facts["APP_SERVER_PORT"].attrs["default"] == "8080"
    assert facts["APP_SERVER_PORT"].evidence[0].location == "cmd/root.go:8"


def test_go_viper_settings_apply_across_packages(make_repo: MakeRepo) -> None:
    root = (
        "package cmd\n"
        "func initConfig() {\n"
        '\tviper.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))\n'
        "\tviper.AutomaticEnv()\n"
        "}\n"
    )
    serve = 'package cmd\nfunc init() { viper.SetDefault("db_host", "localhost") }\n'
    store = 'package database\nfunc Open() { host := viper.GetString("db_host") }\n'

    facts = run(make_repo, {"cmd/root.go": root, "cmd/serve.go": serve,
                            "database/db.go": store})  # fmt: skip

    assert set(facts) == {"DB_HOST"}
    assert facts["DB_HOST"].evidence[0].location == "database/db.go:2"
    assert facts["DB_HOST"].attrs["default"] == "localhost"


def test_go_viper_get_without_automatic_env_is_not_a_variable(
    make_repo: MakeRepo,
) -> None:
    code = 'package main\nfunc f() { viper.GetString("name") }\n'
    facts = run(make_repo, {"main.go": code})

    assert facts == {}


def test_go_test_file_is_tagged_test(make_repo: MakeRepo) -> None:
    code = 'package main\nfunc T() { os.Getenv("FIXTURE_DIR") }\n'
    facts = run(make_repo, {"main_test.go": code})

    assert facts["FIXTURE_DIR"].scope is Scope.TEST


# --- Rust -------------------------------------------------------------------


def test_rust_env_var_forms(make_repo: MakeRepo) -> None:
    code = (
        "use std::env;\n"
        '/// env::var_os("DOC_ONLY")\n'
        'fn a() { let d = env::var_os("_ZO_DATA_DIR"); }\n'
        'fn b() { let k = env::var("API_TOKEN").expect("set it"); }\n'
        'fn c() { let p = env::var("PORT_N").unwrap_or("80".into()); }\n'
        'const V: &str = env!("CARGO_PKG_VERSION");\n'
        'const B: Option<&str> = option_env!("BUILD_SHA");\n'
    )
    facts = run(make_repo, {"src/config.rs": code})

    assert set(facts) == {"_ZO_DATA_DIR", "API_TOKEN", "PORT_N", "BUILD_SHA"}
    assert facts["_ZO_DATA_DIR"].attrs["required"] is None
    assert facts["API_TOKEN"].attrs["required"] is True
    assert facts["PORT_N"].attrs["required"] is False
    assert facts["PORT_N"].attrs["default"] == "80"
    assert facts["BUILD_SHA"].attrs["required"] is False


def test_rust_clap_env_attribute(make_repo: MakeRepo) -> None:
    code = (
        "struct Cli {\n"
        '    #[arg(long, env = "APP_LISTEN", default_value = "0.0.0.0:80")]\n'
        "    listen: String,\n"
        '    #[clap(env = "APP_KEY")]\n'
        "    key: String,\n"
        "}\n"
    )
    facts = run(make_repo, {"src/main.rs": code})

    assert facts["APP_LISTEN"].attrs["default"] == "0.0.0.0:80"
    assert facts["APP_KEY"].attrs["required"] is None


# --- Ruby -------------------------------------------------------------------


def test_ruby_env_forms(make_repo: MakeRepo) -> None:
    code = (
        "static = ENV['RAILS_SERVE_STATIC_FILES'].present?\n"
        'key = ENV.fetch("STRIPE_KEY")\n'
        'port = ENV.fetch("PORT_NUM", 3000)\n'
        'threads = ENV.fetch("MAX_THREADS") { 5 }\n'
        "ENV['SET_ONLY'] = 'x'\n"
        "ENV['BUNDLE_GEMFILE'] ||= 'Gemfile'\n"
        "# ENV['COMMENTED']\n"
    )
    facts = run(make_repo, {"config/puma.rb": code})

    assert set(facts) == {
        "RAILS_SERVE_STATIC_FILES", "STRIPE_KEY", "PORT_NUM", "MAX_THREADS",
    }  # fmt: skip
    assert facts["RAILS_SERVE_STATIC_FILES"].attrs["required"] is None
    assert facts["STRIPE_KEY"].attrs["required"] is True
    assert facts["PORT_NUM"].attrs == {
        "required": False,
        "default": "3000",
        "secret": False,
    }
    assert facts["MAX_THREADS"].attrs["default"] == "5"


def test_ruby_erb_in_yaml(make_repo: MakeRepo) -> None:
    code = (
        "# ENV['NOT_IN_TAG'] is mentioned here\n"
        "production:\n"
        '  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>\n'
        "  pool: <%= ENV.fetch('DB_POOL') { 5 } %>\n"
    )
    facts = run(make_repo, {"config/secrets.yml": code})

    assert set(facts) == {"SECRET_KEY_BASE", "DB_POOL"}
    assert facts["SECRET_KEY_BASE"].evidence[0].location == "config/secrets.yml:3"


# --- JVM and Spring -----------------------------------------------------------


def test_java_getenv_and_value_annotation(make_repo: MakeRepo) -> None:
    code = (
        "class A {\n"
        '  String a = System.getenv("JDBC_URL");\n'
        '  String b = System.getenv().getOrDefault("REGION_X", "eu");\n'
        '  @Value("${JWT_SECRET_KEY:dev}") String c;\n'
        '  @Value("${server.port}") int port;\n'
        "}\n"
    )
    facts = run(make_repo, {"src/main/java/A.java": code})

    assert set(facts) == {"JDBC_URL", "REGION_X", "JWT_SECRET_KEY"}
    assert facts["REGION_X"].attrs["default"] == "eu"
    assert facts["JWT_SECRET_KEY"].attrs["required"] is False


def test_kotlin_elvis_default(make_repo: MakeRepo) -> None:
    code = 'val port = System.getenv("HTTP_PORT") ?: "8080"\n'
    facts = run(make_repo, {"src/main/kotlin/App.kt": code})

    assert facts["HTTP_PORT"].attrs == {
        "required": False,
        "default": "8080",
        "secret": False,
    }


def test_spring_placeholders_only_upper_case(make_repo: MakeRepo) -> None:
    code = (
        "spring.datasource.url=${DB_URL:jdbc:h2:mem:test}\n"
        "spring.datasource.password=${DB_PASSWORD}\n"
        "server.port=${server.port.default:8080}\n"
        "# x=${COMMENTED_OUT}\n"
        "jwt.secret=nRvyYC4soFxBdZ\n"
    )
    facts = run(make_repo, {"src/main/resources/application-prod.properties": code})

    assert set(facts) == {"DB_URL", "DB_PASSWORD"}
    assert facts["DB_URL"].attrs["default"] == "jdbc:h2:mem:test"
    assert facts["DB_PASSWORD"].attrs["required"] is True


def test_spring_without_placeholders_has_no_variables(make_repo: MakeRepo) -> None:
    code = "spring:\n  datasource:\n    url: jdbc:sqlite:dev.db\n"
    facts = run(make_repo, {"src/main/resources/application.yml": code})

    assert facts == {}


# --- PHP and Elixir -----------------------------------------------------------


def test_php_laravel_getenv_and_superglobals(make_repo: MakeRepo) -> None:
    code = (
        "<?php\nreturn [\n"
        "  'default' => env('DB_CONNECTION', 'sqlite'),\n"
        "  'key' => env('APP_KEY'),\n"
        "  'host' => getenv('REDIS_HOST') ?: '127.0.0.1',\n"
        "  'x' => $_ENV['MAIL_FROM'],\n"
        "  'ua' => $_SERVER['HTTP_USER_AGENT'],\n"
        "];\n"
    )
    facts = run(make_repo, {"config/database.php": code})

    assert set(facts) == {"DB_CONNECTION", "APP_KEY", "REDIS_HOST", "MAIL_FROM"}
    assert facts["DB_CONNECTION"].attrs["default"] == "sqlite"
    assert facts["APP_KEY"].attrs["required"] is None
    assert facts["REDIS_HOST"].attrs["default"] == "127.0.0.1"


def test_elixir_runtime_config(make_repo: MakeRepo) -> None:
    code = (
        "database_url =\n"
        '  System.get_env("DATABASE_URL") ||\n'
        '    raise "environment variable DATABASE_URL is missing."\n'
        'port = String.to_integer(System.get_env("PORT_NUMBER", "4000"))\n'
        'key = System.fetch_env!("SECRET_KEY_BASE")\n'
    )
    facts = run(make_repo, {"config/runtime.exs": code})

    assert facts["DATABASE_URL"].attrs["required"] is True
    assert facts["PORT_NUMBER"].attrs["default"] == "4000"
    assert facts["SECRET_KEY_BASE"].attrs["required"] is True


# --- Shell templates and configuration placeholders ---------------------------


def test_shell_template_parameters(make_repo: MakeRepo) -> None:
    code = (
        "__hook() {\n"
        "    [[ ${_ZO_DOCTOR:-1} -eq 0 ]] && return 0\n"
        '    _local="${_local_var:-x}"\n'
        '    : "${API_BASE:?API_BASE must be set}"\n'
        "    _ZO_DOCTOR=0\n"
        "}\n"
    )
    facts = run(make_repo, {"templates/bash.txt": code})

    assert set(facts) == {"_ZO_DOCTOR", "_local_var", "API_BASE"}
    assert facts["_ZO_DOCTOR"].attrs["default"] == "1"
    assert facts["API_BASE"].attrs["required"] is True


def test_shell_variable_assigned_before_is_local(make_repo: MakeRepo) -> None:
    code = 'WORKERS=4\nexec gunicorn -w "${WORKERS:-2}" "${APP_MODULE:-app:app}"\n'
    facts = run(make_repo, {"docker-entrypoint.sh": code})

    assert set(facts) == {"APP_MODULE"}


def test_installer_scripts_are_not_read(make_repo: MakeRepo) -> None:
    code = '_arch="${_ZOXIDE_ARCH:-$(uname -m)}"\n'
    facts = run(make_repo, {"install.sh": code})

    assert facts == {}


def test_compose_placeholders(make_repo: MakeRepo) -> None:
    code = (
        "services:\n"
        "  db:\n"
        "    environment:\n"
        "      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?set it}\n"
        "      - POSTGRES_DB=${POSTGRES_DB:-app}\n"
        "    image: postgres:${PG_VERSION}\n"
    )
    facts = run(make_repo, {"docker-compose.yml": code})

    assert facts["POSTGRES_PASSWORD"].attrs["required"] is True
    assert facts["POSTGRES_DB"].attrs["default"] == "app"
    assert facts["PG_VERSION"].attrs["required"] is None


def test_ci_files_placeholders_are_not_the_apps(make_repo: MakeRepo) -> None:
    code = "jobs:\n  build:\n    env:\n      X: ${BUILD_TOKEN}\n"
    facts = run(make_repo, {".github/workflows/ci.yml": code, ".gitlab-ci.yml": code})

    assert facts == {}


def test_commented_out_value_annotation_is_ignored(make_repo: MakeRepo) -> None:
    code = 'class A {\n  // @Value("${OLD_KEY}") String a;\n}\n'
    facts = run(make_repo, {"src/main/java/A.java": code})

    assert facts == {}


def test_mix_env_when_mix_env_is_used(make_repo: MakeRepo) -> None:
    code = (
        "defmodule App.MixProject do\n"
        "  def project, do: [start_permanent: Mix.env() == :prod]\n"
        "end\n"
    )
    facts = run(make_repo, {"mix.exs": code})

    assert facts["MIX_ENV"].attrs["default"] == "dev"
    assert facts["MIX_ENV"].evidence[0].location == "mix.exs:2"


def test_prisma_schema_env(make_repo: MakeRepo) -> None:
    code = (
        "datasource db {\n"
        '  provider = "postgresql"\n'
        '  url      = env("DATABASE_URL")\n'
        '  // shadowDatabaseUrl = env("SHADOW_URL")\n'
        "}\n"
    )
    facts = run(make_repo, {"prisma/schema.prisma": code})

    assert set(facts) == {"DATABASE_URL"}
    assert facts["DATABASE_URL"].attrs["required"] is True


def test_entrypoint_script_bare_reads_are_variables(make_repo: MakeRepo) -> None:
    script = (
        "#!/bin/sh\n"
        'if [ "$DATABASE" = "postgres" ]; then\n'
        "    while ! nc -z $SQL_HOST ${SQL_PORT}; do sleep 0.1; done\n"
        "fi\n"
        "RETRIES=5\n"
        'for NAME in a b; do echo "$NAME $RETRIES $1 $HOME"; done\n'
        'exec "$@" --workers ${WORKERS:-2}\n'
        'cd "$(dirname "${BASH_SOURCE[0]}")" && echo $LINENO\n'
    )
    facts = run(make_repo, {"app/entrypoint.sh": script})

    assert set(facts) == {"DATABASE", "SQL_HOST", "SQL_PORT", "WORKERS"}
    assert facts["WORKERS"].attrs["default"] == "2"
    assert facts["DATABASE"].evidence[0].location == "app/entrypoint.sh:2"


def test_erb_read_in_a_commented_yaml_line_is_not_a_variable(
    make_repo: MakeRepo,
) -> None:
    yaml = (
        "production:\n"
        "  # url: <%= ENV['DATABASE_URL'] %>\n"
        "  password: <%= ENV['APP_DATABASE_PASSWORD'] %>\n"
    )
    facts = run(make_repo, {"config/database.yml": yaml})

    assert set(facts) == {"APP_DATABASE_PASSWORD"}


def test_php_env_superglobal_reads_lower_case_names(make_repo: MakeRepo) -> None:
    code = (
        "<?php\n"
        "$docker = $_ENV['docker'] ?? false;\n"
        "$method = $_SERVER['request_method'];\n"
        "$host = $_SERVER['HTTP_HOST'];\n"
    )
    facts = run(make_repo, {"app/settings.php": code})

    assert set(facts) == {"docker"}
