"""Tests of the ports extractor: listens, fallbacks and configuration files."""

import pytest

from pta_analyzer.extractors.ports import _is_config_module, extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified


def ports(index_facts: list[Fact]) -> dict[str, Fact]:
    found = {fact.key: fact for fact in index_facts}
    assert all(fact.kind is FactKind.PORT for fact in index_facts)
    assert len(found) == len(index_facts), "one fact per port"
    return found


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> dict[str, Fact]:
    facts = extract_verified(make_repo, extract, files)
    return ports(facts)


def test_js_listen_with_a_literal_is_a_bind(make_repo: MakeRepo) -> None:
    found = run(make_repo, {"server.js": "const app = express();\napp.listen(3000);\n"})

    fact = found["3000"]
    assert fact.status is Status.EVIDENCED
    assert fact.scope is Scope.APP
    assert dict(fact.attrs) == {"role": "bind"}
    assert [e.location for e in fact.evidence] == ["server.js:2"]


def test_js_listen_of_a_constant_cites_the_constant(make_repo: MakeRepo) -> None:
    code = "const port = 8080;\nconst app = express();\napp.listen(port, () => {});\n"
    found = run(make_repo, {"src/index.js": code})

    assert dict(found["8080"].attrs) == {"role": "bind"}
    locations = [e.location for e in found["8080"].evidence]
    assert locations == ["src/index.js:1", "src/index.js:3"]


def test_js_env_fallback_is_a_default_with_its_variable(make_repo: MakeRepo) -> None:
    code = (
        "const PORT = process.env.PORT || 3000;\n"
        "server.listen(PORT);\n"
        "const other = process.env.HTTP_PORT ?? 4000;\n"
    )
    found = run(make_repo, {"index.ts": code})

    assert dict(found["3000"].attrs) == {"role": "default", "env": "PORT"}
    assert dict(found["4000"].attrs) == {"role": "default", "env": "HTTP_PORT"}


def test_js_fallback_of_a_database_port_is_not_a_listen_port(
    make_repo: MakeRepo,
) -> None:
    code = (
        "const db = process.env.DB_PORT || 5432;\n"
        "const r = process.env.REDIS_PORT || 6379;\n"
    )
    assert run(make_repo, {"src/db.js": code}) == {}


def test_node_config_reports_each_node_env_candidate(make_repo: MakeRepo) -> None:
    config = (
        "const configs = {\n"
        "  base: {\n"
        "    port: 7070\n"
        "  },\n"
        "  production: {\n"
        "    port: process.env.APP_PORT || 7071\n"
        "  },\n"
        "  test: {\n"
        "    port: 7072,\n"
        "  },\n"
        "  db: { host: 'x',\n"
        "    port: 5432 },\n"
        "};\n"
    )
    found = run(make_repo, {"app/config/index.js": config})

    assert set(found) == {"7070", "7071", "7072"}
    assert dict(found["7070"].attrs) == {"role": "config"}
    assert dict(found["7071"].attrs) == {
        "role": "default",
        "env": "APP_PORT",
        "profile": "production",
    }
    assert found["7071"].scope is Scope.APP
    assert found["7072"].scope is Scope.TEST
    assert [e.location for e in found["7072"].evidence] == ["app/config/index.js:9"]


def test_port_key_outside_config_modules_and_in_tool_configs_is_ignored(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "src/client.js": "const opts = { port: 9999 };\n",
        "karma.conf.js": "module.exports = { port: 9876 };\n",
        "config/webpack.config.js": "module.exports = { devServer: { port: 8081 } };\n",
    }
    assert run(make_repo, files) == {}


def test_json_config_file_port(make_repo: MakeRepo) -> None:
    found = run(make_repo, {"config/production.json": '{\n  "port": 8000\n}\n'})

    assert dict(found["8000"].attrs) == {"role": "config", "profile": "production"}


def test_python_socket_and_http_server_binds(make_repo: MakeRepo) -> None:
    code = (
        "import socket\n"
        "PORT = 9000\n"
        "s.bind(('', PORT))\n"
        "HTTPServer(('0.0.0.0', 8000), Handler)\n"
        "web.run_app(app, port=8081)\n"
    )
    found = run(make_repo, {"serve.py": code})

    assert set(found) == {"9000", "8000", "8081"}
    assert [e.location for e in found["9000"].evidence] == ["serve.py:2", "serve.py:3"]
    assert all(f.attrs["role"] == "bind" for f in found.values())


def test_python_env_default_but_not_flask_run(make_repo: MakeRepo) -> None:
    code = (
        "port = int(os.environ.get('PORT', 5000))\n"
        "app.run(port=int(os.getenv('APP_PORT', 6000)))\n"
    )
    found = run(make_repo, {"main.py": code})

    assert set(found) == {"5000"}
    assert dict(found["5000"].attrs) == {"role": "default", "env": "PORT"}


def test_go_listen_calls(make_repo: MakeRepo) -> None:
    code = (
        'http.ListenAndServe(":8080", nil)\n'
        'e.Start(":1323")\n'
        'r.Run("0.0.0.0:8081")\n'
        'net.Listen("tcp", ":9090")\n'
        'srv := &http.Server{Addr: ":7000"}\n'
    )
    found = run(make_repo, {"cmd/api/main.go": code})

    assert set(found) == {"8080", "1323", "8081", "9090", "7000"}
    assert all(f.attrs["role"] == "bind" for f in found.values())


def test_go_address_constant_links_the_address_variable(make_repo: MakeRepo) -> None:
    code = (
        "const (\n"
        '\tdefaultAddress = ":9090"\n'
        '\tdbAddress = "localhost:3306"\n'
        ")\n"
        "func main() {\n"
        '\taddress := os.Getenv("SERVER_ADDRESS")\n'
        "\tlog.Fatal(e.Start(address))\n"
        "}\n"
    )
    found = run(make_repo, {"app/main.go": code})

    assert set(found) == {"9090"}
    assert dict(found["9090"].attrs) == {"role": "default", "env": "SERVER_ADDRESS"}
    locations = [e.location for e in found["9090"].evidence]
    assert locations == ["app/main.go:2", "app/main.go:6"]


def test_go_flag_default(make_repo: MakeRepo) -> None:
    code = 'port := flag.Int("port", 8088, "listen port")\n'
    found = run(make_repo, {"main.go": code})

    assert dict(found["8088"].attrs) == {"role": "default"}


def test_spring_properties_with_placeholder_and_test_profile(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "src/main/resources/application.properties": "server.port=${PORT:8080}\n",
        "src/main/resources/application-test.properties": "server.port=0\n",
        "src/main/resources/application-prod.properties": "server.port: 80\n",
    }
    found = run(make_repo, files)

    assert set(found) == {"8080", "80"}
    assert dict(found["8080"].attrs) == {"role": "config", "env": "PORT"}
    assert dict(found["80"].attrs) == {"role": "config", "profile": "production"}


def test_spring_yaml_per_profile_documents(make_repo: MakeRepo) -> None:
    yml = (
        "server:\n"
        "  port: 8081\n"
        "---\n"
        "spring:\n"
        "  config:\n"
        "    activate:\n"
        "      on-profile: test\n"
        "server:\n"
        "  port: 8082\n"
    )
    found = run(make_repo, {"src/main/resources/application.yml": yml})

    assert dict(found["8081"].attrs) == {"role": "config"}
    assert [e.location for e in found["8081"].evidence] == [
        "src/main/resources/application.yml:2"
    ]
    assert found["8082"].scope is Scope.TEST


def test_puma_port_from_env_fetch(make_repo: MakeRepo) -> None:
    puma = 'threads 5, 5\nport ENV.fetch("PORT") { 3000 }\n'
    found = run(make_repo, {"config/puma.rb": puma})

    assert dict(found["3000"].attrs) == {"role": "default", "env": "PORT"}


def test_rust_binds(make_repo: MakeRepo) -> None:
    code = (
        'let l = TcpListener::bind("127.0.0.1:8080").await?;\n'
        'HttpServer::new(f).bind(("0.0.0.0", 8081))?\n'
        "let addr = SocketAddr::from(([0, 0, 0, 0], 3000));\n"
    )
    found = run(make_repo, {"src/main.rs": code})

    assert set(found) == {"8080", "8081", "3000"}


def test_php_builtin_server_in_scripts(make_repo: MakeRepo) -> None:
    composer = '{"scripts": {"serve": "php -S localhost:8000 -t public"}}\n'
    found = run(make_repo, {"composer.json": composer})

    assert dict(found["8000"].attrs) == {"role": "bind"}


def test_dotnet_launch_settings_urls(make_repo: MakeRepo) -> None:
    settings = (
        "{\n"
        '  "profiles": { "api": {\n'
        '    "applicationUrl": "https://localhost:5001;http://localhost:5000"\n'
        "  } }\n"
        "}\n"
    )
    found = run(make_repo, {"Api/Properties/launchSettings.json": settings})

    assert set(found) == {"5001", "5000"}
    assert found["5000"].attrs["role"] == "config"


def test_phoenix_http_port_and_env_fallback(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "config/dev.exs": "config :app, AppWeb.Endpoint,\n  http: [port: 4000]\n",
        "config/runtime.exs": (
            "config :app, AppWeb.Endpoint,\n"
            '  http: [port: String.to_integer(System.get_env("PORT") || "4001")]\n'
        ),
    }
    found = run(make_repo, files)

    assert dict(found["4000"].attrs) == {"role": "config", "profile": "development"}
    assert dict(found["4001"].attrs) == {"role": "default", "env": "PORT"}


def test_ports_in_test_files_are_tagged_test(make_repo: MakeRepo) -> None:
    found = run(make_repo, {"test/server.test.js": "app.listen(4567);\n"})

    assert found["4567"].scope is Scope.TEST


def test_out_of_range_ports_are_dropped(make_repo: MakeRepo) -> None:
    code = "app.listen(70000);\napp.listen(0);\n"
    assert run(make_repo, {"server.js": code}) == {}


def test_malformed_and_binary_files_do_not_raise(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/main/resources/application.yml": "server: [port: : 1\n  - {\n",
        "config/broken.json": '{"port": 80',
        "app.js": b"\x00\x01binary listen(80)",
        "config/odd.js": "}}}\nport: 3001\n{{{\n",
    }
    found = run(make_repo, files)

    assert set(found) == {"3001"}


def test_repeated_identical_statement_is_cited_once(make_repo: MakeRepo) -> None:
    line = "const port = process.env.PORT || 3000;\n"
    found = run(make_repo, {"src/a.js": line + "// again\n" + line})

    assert [e.location for e in found["3000"].evidence] == ["src/a.js:1"]


def test_go_port_fallback_when_the_variable_is_empty(make_repo: MakeRepo) -> None:
    code = (
        "func main() {\n"
        '\tport := os.Getenv("PORT")\n'
        '\tif port == "" {\n'
        '\t\tport = "8080"\n'
        "\t}\n"
        '\tlog.Fatal(http.ListenAndServe(":"+port, nil))\n'
        "}\n"
    )
    found = run(make_repo, {"main.go": code})

    assert dict(found["8080"].attrs) == {"role": "default", "env": "PORT"}
    assert [e.location for e in found["8080"].evidence] == ["main.go:2", "main.go:4"]


def test_commented_listens_and_report_variables_are_not_ports(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "lib/app.js": (
            "/**\n"
            " *    http.createServer(app).listen(80);\n"
            " */\n"
            "// app.listen(8080);\n"
            "const period = process.env.REPORT_PERIOD || 20;\n"
        ),
        "settings.py": "EXPORT_DAYS = os.environ.get('EXPORT_TIMEDELTA', 30)\n",
    }
    assert run(make_repo, files) == {}


def test_port_constant_exported_by_a_config_module(make_repo: MakeRepo) -> None:
    code = "export const PORT = 4000;\nexport const DB_PORT = 5432;\n"
    found = run(make_repo, {"src/config.ts": code})

    assert set(found) == {"4000"}
    assert dict(found["4000"].attrs) == {"role": "config"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("config/default.json", True),
        ("app/Settings/production.json", True),
        ("env.json", True),
        ("src/data.json", False),
        ("config/webpack.dev.json", False),
        ("conf/Karma-ci.json", False),
        ("settings/package.json", False),
        ("tsconfig.json", False),
    ],
)
def test_config_modules_are_those_of_config_folders_or_stems_but_not_tools(
    path: str, expected: bool
) -> None:
    assert _is_config_module(path) is expected
