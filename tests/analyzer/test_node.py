"""The Node extractor on small repositories."""

import hashlib
import json
from pathlib import Path

from pta_analyzer.extractors.node import extract
from pta_analyzer.facts import WEIGHT_CONVENTION, WEIGHT_GUESS, Fact, FactKind, Status
from pta_analyzer.index import RepoIndex
from pta_analyzer.scope import Scope
from pta_analyzer.walk import WalkLimits
from tests.analyzer.conftest import (
    MakeRepo,
    assert_evidence_verifies,
    keys,
    of_kind,
    write_tree,
)


def package_json(**fields: object) -> str:
    return json.dumps(fields, indent=2) + "\n"


def only(facts: list[Fact], kind: FactKind, key: str) -> Fact:
    found = [f for f in facts if f.kind is kind and f.key == key]
    assert len(found) == 1, (kind, key, found)
    return found[0]


EXPRESS_APP = package_json(
    name="api",
    description="An   example\nAPI",
    main="src/index.js",
    engines={"node": ">=18"},
    scripts={
        "prestart": "npm run build",
        "start": "node src/index.js",
        "dev": "nodemon src/index.js",
        "build": "tsc",
        "test": "jest",
        "test:unit": "jest test/unit",
        "lint": "eslint .",
        "migrate": "knex migrate:latest",
    },
    dependencies={"express": "^4.18.0", "pg": "^8.0.0", "ioredis": "^5.0.0"},
    devDependencies={"jest": "^29.0.0"},
)


def test_yarn_lock_makes_yarn_the_manager_and_install(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP, "yarn.lock": "# yarn\n"})

    facts = list(extract(index))

    manager = only(facts, FactKind.PACKAGE_MANAGER, "yarn")
    assert [e.path for e in manager.evidence] == ["yarn.lock"]
    install = only(facts, FactKind.INSTALL, "yarn install")
    assert install.status is Status.EVIDENCED and install.cwd == ""
    assert keys(facts, FactKind.INSTALL) == {"yarn install"}
    assert_evidence_verifies(index, facts)


def test_npm_lockfile_gives_npm_ci(make_repo: MakeRepo) -> None:
    locked = make_repo({"package.json": EXPRESS_APP, "package-lock.json": "{}\n"})
    assert keys(extract(locked), FactKind.INSTALL) == {"npm ci"}


def test_without_lockfile_npm_install_is_inferred(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP})

    facts = list(extract(index))

    install = only(facts, FactKind.INSTALL, "npm install")
    assert install.status is Status.INFERRED
    assert only(facts, FactKind.PACKAGE_MANAGER, "npm").status is Status.INFERRED
    assert_evidence_verifies(index, facts)


def test_pnpm_lockfile_gives_pnpm_commands(make_repo: MakeRepo) -> None:
    pnpm = make_repo({"package.json": EXPRESS_APP, "pnpm-lock.yaml": "x: 1\n"})
    assert keys(extract(pnpm), FactKind.INSTALL) == {"pnpm install"}
    assert "pnpm dev" in keys(extract(pnpm), FactKind.DEV)


def test_binary_bun_lockfile_is_seen(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP, "bun.lockb": b"\0bun\0"})

    facts = list(extract(index))

    assert keys(facts, FactKind.PACKAGE_MANAGER) == {"bun"}
    assert "bun run start" in keys(facts, FactKind.PROD)
    assert only(facts, FactKind.PACKAGE_MANAGER, "bun").evidence[0].path == "bun.lockb"


def test_package_manager_field_wins_over_lockfile(make_repo: MakeRepo) -> None:
    app = json.loads(EXPRESS_APP) | {"packageManager": "pnpm@9.1.0"}
    index = make_repo({"package.json": package_json(**app), "yarn.lock": "#\n"})

    facts = list(extract(index))

    pnpm = only(facts, FactKind.PACKAGE_MANAGER, "pnpm")
    assert pnpm.evidence[0].display == '"packageManager": "pnpm@9.1.0"'
    assert pnpm.weight > only(facts, FactKind.PACKAGE_MANAGER, "yarn").weight
    assert "pnpm test" in keys(facts, FactKind.TEST)
    assert_evidence_verifies(index, facts)


def test_each_script_cites_its_own_line(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP, "package-lock.json": "{}\n"})

    facts = list(extract(index))

    dev = only(facts, FactKind.DEV, "npm run dev")
    assert dev.evidence[0].display == '"dev": "nodemon src/index.js",'
    assert dict(dev.attrs) == {
        "script": "dev",
        "body": "nodemon src/index.js",
        "via": "npm script",
    }
    assert keys(facts, FactKind.PROD) == {"npm start"}
    assert keys(facts, FactKind.BUILD) == {"npm run build"}
    assert keys(facts, FactKind.TEST) == {"npm test", "npm run test:unit"}
    assert keys(facts, FactKind.MIGRATE) == {"npm run migrate"}
    assert_evidence_verifies(index, facts)


def test_npm_placeholder_test_script_is_no_test_command(make_repo: MakeRepo) -> None:
    placeholder = 'echo "Error: no test specified" && exit 1'
    index = make_repo({"package.json": package_json(scripts={"test": placeholder})})

    assert of_kind(extract(index), FactKind.TEST) == []


def test_main_is_the_inferred_start_without_start_script(make_repo: MakeRepo) -> None:
    app = package_json(main="lib/server.js", dependencies={"koa": "^2.0.0"})
    index = make_repo({"package.json": app, "lib/server.js": "x\n"})

    facts = list(extract(index))

    start = only(facts, FactKind.PROD, "node lib/server.js")
    assert start.status is Status.INFERRED
    assert start.evidence[0].display == '"main": "lib/server.js",'
    assert_evidence_verifies(index, facts)


def test_server_js_is_the_start_when_there_is_no_main(make_repo: MakeRepo) -> None:
    app = package_json(dependencies={"express": "^4.0.0"})
    index = make_repo({"package.json": app, "server.js": "require('x')\n"})

    facts = list(extract(index))

    assert keys(facts, FactKind.PROD) == {"node server.js"}
    assert_evidence_verifies(index, facts)


def test_start_script_replaces_the_main_entry(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP})

    assert "node src/index.js" not in keys(extract(index), FactKind.PROD)


def test_library_main_is_no_start_command_but_a_library(make_repo: MakeRepo) -> None:
    lib = package_json(name="left-pad", main="index.js", scripts={"test": "tap"})
    index = make_repo({"package.json": lib, "index.js": "module.exports = 1\n"})

    facts = list(extract(index))

    assert of_kind(facts, FactKind.PROD) == []
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}


def test_bin_is_a_cli_hint(make_repo: MakeRepo) -> None:
    cli = package_json(name="tool", bin={"tool": "bin/tool.js"})
    index = make_repo({"package.json": cli})

    facts = list(extract(index))

    hint = only(facts, FactKind.PROJECT_KIND, "cli")
    assert hint.status is Status.INFERRED
    assert hint.evidence[0].line_start == 3
    assert_evidence_verifies(index, facts)


def test_server_framework_is_a_service_without_a_default_port(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"package.json": EXPRESS_APP})

    facts = list(extract(index))

    express = only(facts, FactKind.FRAMEWORK, "express")
    assert express.evidence[0].display == '"express": "^4.18.0",'
    assert of_kind(facts, FactKind.PORT) == []
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}


def test_frontend_framework_has_its_default_port_inferred(make_repo: MakeRepo) -> None:
    client = package_json(
        scripts={"dev": "vite", "build": "vite build"},
        dependencies={"vue": "^3.0.0"},
        devDependencies={"vite": "^5.0.0"},
    )
    index = make_repo({"package.json": client})

    facts = list(extract(index))

    port = only(facts, FactKind.PORT, "5173")
    assert port.status is Status.INFERRED
    assert port.attrs["role"] == "default"
    assert port.evidence[0].display == '"vite": "^5.0.0"'
    assert keys(facts, FactKind.FRAMEWORK) == {"vue", "vite"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"static-site"}
    assert_evidence_verifies(index, facts)


def test_default_ports_of_next_angular_and_old_vite(make_repo: MakeRepo) -> None:
    deps = {"next": "14", "@angular/core": "17", "vite": "~2.9.0"}
    index = make_repo({"package.json": package_json(dependencies=deps)})

    assert keys(extract(index), FactKind.PORT) == {"3000", "4200"}


def test_port_set_in_a_run_script_is_evidenced(make_repo: MakeRepo) -> None:
    scripts = {"dev": "next dev -p 4000", "start": "PORT=8080 node server.js"}
    index = make_repo({"package.json": package_json(scripts=scripts)})

    facts = [f for f in extract(index) if f.source == "node.script_port"]

    assert {(f.key, f.attrs["script"], f.status) for f in facts} == {
        ("4000", "dev", Status.EVIDENCED),
        ("8080", "start", Status.EVIDENCED),
    }
    assert_evidence_verifies(index, facts)


def test_services_come_from_dependencies(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP})

    facts = list(extract(index))

    assert keys(facts, FactKind.SERVICE) == {"postgres", "redis"}
    redis = only(facts, FactKind.SERVICE, "redis")
    assert redis.evidence[0].display == '"ioredis": "^5.0.0"'
    assert_evidence_verifies(index, facts)


def test_runtime_and_description(make_repo: MakeRepo) -> None:
    index = make_repo({"package.json": EXPRESS_APP, ".nvmrc": "v20.11.1\n"})

    facts = list(extract(index))

    assert keys(facts, FactKind.RUNTIME) == {"node >=18", "node 20.11.1"}
    assert keys(facts, FactKind.DESCRIPTION) == {"An example API"}
    assert_evidence_verifies(index, facts)


def test_npm_workspaces_make_components_with_their_cwd(make_repo: MakeRepo) -> None:
    root = package_json(private=True, workspaces=["apps/*", "libs/*"])
    api = package_json(name="api", scripts={"start": "node index.js"})
    web = package_json(name="web", scripts={"dev": "vite"})
    lib = package_json(name="util", main="index.js")
    index = make_repo(
        {
            "package.json": root,
            "package-lock.json": "{}\n",
            "apps/api/package.json": api,
            "apps/web/package.json": web,
            "libs/util/package.json": lib,
        }
    )

    facts = list(extract(index))

    components = {f.key: f for f in of_kind(facts, FactKind.COMPONENT)}
    assert set(components) == {"apps/api", "apps/web", "libs/util"}
    assert components["apps/api"].evidence[0].display == '"apps/*",'
    assert components["libs/util"].attrs["deployable"] is False
    start = only(facts, FactKind.PROD, "npm start")
    assert start.cwd == "apps/api"
    assert only(facts, FactKind.DEV, "npm run dev").cwd == "apps/web"
    assert [(f.key, f.cwd) for f in of_kind(facts, FactKind.INSTALL)] == [
        ("npm ci", "")
    ]
    monorepo = only(facts, FactKind.PROJECT_KIND, "monorepo")
    assert [e.location for e in monorepo.evidence] == [
        "apps/api/package.json:4",
        "apps/web/package.json:4",
    ]
    assert_evidence_verifies(index, facts)


def test_pnpm_workspace_yaml_declares_members(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "package.json": package_json(private=True),
            "pnpm-lock.yaml": "lockfileVersion: 9\n",
            "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n  - '!packages/old'\n",
            "packages/a/package.json": package_json(scripts={"dev": "tsx watch a"}),
            "packages/old/package.json": package_json(scripts={"build": "tsc"}),
        }
    )

    facts = list(extract(index))

    component = only(facts, FactKind.COMPONENT, "packages/a")
    assert component.evidence[0].location == "pnpm-workspace.yaml:2"
    assert component.attrs["workspace"] == "pnpm"
    assert "packages/old" not in keys(facts, FactKind.COMPONENT)
    assert only(facts, FactKind.DEV, "pnpm dev").cwd == "packages/a"
    assert "monorepo" not in keys(facts, FactKind.PROJECT_KIND)
    assert_evidence_verifies(index, facts)


def test_lerna_default_packages_and_object_workspaces(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "package.json": package_json(workspaces={"packages": ["tools/*"]}),
            "lerna.json": '{"version": "1.0.0"}\n',
            "tools/x/package.json": package_json(name="x"),
            "packages/y/package.json": package_json(name="y"),
        }
    )

    facts = list(extract(index))

    components = {f.key: f.attrs["workspace"] for f in facts if f.kind == "component"}
    assert components == {"tools/x": "npm-workspaces", "packages/y": "lerna"}
    assert_evidence_verifies(index, facts)


def test_nested_app_package_is_a_component_with_its_own_install(
    make_repo: MakeRepo,
) -> None:
    client = package_json(scripts={"dev": "vite"}, devDependencies={"vite": "4"})
    index = make_repo(
        {
            "server/app.py": "print()\n",
            "client/package.json": client,
            "client/package-lock.json": "{}\n",
        }
    )

    facts = list(extract(index))

    assert only(facts, FactKind.INSTALL, "npm ci").cwd == "client"
    assert only(facts, FactKind.COMPONENT, "client").cwd == "client"
    assert only(facts, FactKind.PORT, "5173").cwd == "client"
    assert_evidence_verifies(index, facts)


def test_example_package_is_tagged_example_scope(make_repo: MakeRepo) -> None:
    example = package_json(scripts={"start": "node index.js"})
    index = make_repo({"examples/basic/package.json": example})

    facts = list(extract(index))

    start = only(facts, FactKind.PROD, "npm start")
    assert start.scope is Scope.EXAMPLE
    assert start.cwd == "examples/basic"
    assert of_kind(facts, FactKind.COMPONENT) == []


def test_vendored_package_json_is_ignored(make_repo: MakeRepo) -> None:
    vendored = package_json(scripts={"start": "node index.js"})
    index = make_repo({"node_modules/dep/package.json": vendored})

    assert list(extract(index)) == []


def test_malformed_files_do_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "package.json": '{"scripts": {"start": ',
            "a/package.json": "[1, 2]",
            "b/package.json": package_json(
                scripts={"start": 3, "dev": None, "build": "tsc"},
                dependencies=["express"],
                engines="node 18",
                workspaces=7,
                packageManager=["yarn"],
                main={"x": 1},
                bin=None,
            ),
            "c/package.json": b"\xff\xfe{\x00}\x00",
            "pnpm-workspace.yaml": "packages: [unclosed\n",
            "lerna.json": "not json",
            ".nvmrc": "",
        }
    )

    facts = list(extract(index))

    assert keys(facts, FactKind.INSTALL) == {"npm install"}
    assert keys(facts, FactKind.BUILD) == {"npm run build"}
    assert_evidence_verifies(index, facts)


def test_bare_package_json_claims_no_install(make_repo: MakeRepo) -> None:
    index = make_repo({"src/package.json": package_json(type="module")})

    assert list(extract(index)) == []


def test_oversized_lockfile_still_names_the_manager(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "repo",
        {"package.json": EXPRESS_APP, "yarn.lock": "# yarn\n" + "x" * 5000},
    )
    index = RepoIndex(root, WalkLimits(max_file_bytes=1000))

    facts = list(extract(index))

    manager = only(facts, FactKind.PACKAGE_MANAGER, "yarn")
    assert manager.evidence[0].path == "yarn.lock"
    assert manager.evidence[0].kind == "file"
    assert (
        manager.evidence[0].file_sha256
        == hashlib.sha256((root / "yarn.lock").read_bytes()).hexdigest()
    )
    assert keys(facts, FactKind.INSTALL) == {"yarn install"}


def test_create_react_app_start_is_a_dev_server(make_repo: MakeRepo) -> None:
    cra = package_json(
        scripts={"start": "react-scripts start", "build": "react-scripts build"},
        dependencies={"react": "^18.0.0", "react-scripts": "5.0.1"},
    )
    index = make_repo({"package.json": cra, "yarn.lock": "#\n"})

    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"yarn start"}
    assert of_kind(facts, FactKind.PROD) == []
    assert keys(facts, FactKind.PORT) == {"3000"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"static-site"}


def test_component_library_without_build_is_a_library(make_repo: MakeRepo) -> None:
    ui = package_json(name="ui", main="./index.tsx", devDependencies={"react": "18"})
    index = make_repo({"package.json": ui})

    assert keys(extract(index), FactKind.PROJECT_KIND) == {"library"}


def test_deeply_nested_json_does_not_raise(make_repo: MakeRepo) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    index = make_repo({"package.json": deep, "lerna.json": deep})

    assert list(extract(index)) == []


def test_main_that_is_built_output_is_a_weak_guess(make_repo: MakeRepo) -> None:
    app = package_json(main="dist/index.js", dependencies={"fastify": "^4.0.0"})
    index = make_repo({"package.json": app, "src/index.ts": "x\n"})

    start = only(list(extract(index)), FactKind.PROD, "node dist/index.js")

    assert start.weight == WEIGHT_GUESS
    assert "not in the repository" in start.note


def test_main_without_extension_resolves_like_node(make_repo: MakeRepo) -> None:
    app = package_json(main="app", dependencies={"koa": "^2.0.0"})
    index = make_repo({"package.json": app, "app/index.js": "x\n"})

    start = only(list(extract(index)), FactKind.PROD, "node app")

    assert start.weight == WEIGHT_CONVENTION


def test_no_default_port_when_every_run_script_states_one(make_repo: MakeRepo) -> None:
    client = package_json(
        scripts={"dev": "vite --port 8080", "build": "vite build"},
        devDependencies={"vite": "^5.0.0"},
    )
    index = make_repo({"package.json": client})

    assert keys(extract(index), FactKind.PORT) == {"8080"}


def test_workspace_root_without_lockfile_gets_npm_install(make_repo: MakeRepo) -> None:
    root = package_json(private=True, workspaces=["packages/*"])
    member = package_json(name="a", scripts={"start": "node index.js"})
    index = make_repo({"package.json": root, "packages/a/package.json": member})

    facts = list(extract(index))

    assert [(f.key, f.cwd) for f in of_kind(facts, FactKind.INSTALL)] == [
        ("npm install", "")
    ]
    assert only(facts, FactKind.PROD, "npm start").cwd == "packages/a"


def test_electron_app_is_not_a_service(make_repo: MakeRepo) -> None:
    app = package_json(
        main="main.js",
        scripts={"start": "electron ."},
        devDependencies={"electron": "^28.0.0"},
    )
    index = make_repo({"package.json": app, "main.js": "x\n"})

    facts = list(extract(index))

    assert keys(facts, FactKind.PROD) == {"npm start"}
    assert keys(facts, FactKind.FRAMEWORK) == {"electron"}
    assert "service" not in keys(facts, FactKind.PROJECT_KIND)


def test_packages_that_only_compile_are_not_deployable(make_repo: MakeRepo) -> None:
    root = package_json(private=True, workspaces=["packages/*"])
    lib = package_json(name="lib", scripts={"dev": "tsc --watch", "build": "tsc"})
    app = package_json(name="app", scripts={"dev": "nodemon index.js"})
    index = make_repo(
        {
            "package.json": root,
            "packages/lib/package.json": lib,
            "packages/app/package.json": app,
        }
    )

    facts = list(extract(index))

    assert {(f.key, f.cwd) for f in of_kind(facts, FactKind.DEV)} == {
        ("npm run dev", "packages/lib"),
        ("npm run dev", "packages/app"),
    }
    components = {f.key: f.attrs["deployable"] for f in facts if f.kind == "component"}
    assert components == {"packages/lib": False, "packages/app": True}
    assert "monorepo" not in keys(facts, FactKind.PROJECT_KIND)


def test_a_librarys_dev_dependency_server_is_its_test_server(
    make_repo: MakeRepo,
) -> None:
    lib = package_json(
        name="http-client",
        main="./distribution/index.js",
        scripts={"test": "ava", "debug": "PWDEBUG=1 ava"},
        devDependencies={"express": "^5", "ava": "^6"},
    )
    index = make_repo({"package.json": lib})

    facts = list(extract(index))

    assert of_kind(facts, FactKind.PROD) == []
    assert of_kind(facts, FactKind.DEV) == []
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}


def test_vite_config_port_replaces_the_default(make_repo: MakeRepo) -> None:
    index = make_repo({
        "web/package.json": '{"name": "web", "scripts": {"dev": "vite"},\n'
                            ' "devDependencies": {"vite": "^5.0.0"}}\n',
        "web/vite.config.ts": "export default defineConfig({\n  plugins: [],\n"
                              "  server: {\n    port: 3001,\n  },\n})\n",
    })  # fmt: skip

    facts = list(extract(index))

    ports = of_kind(facts, FactKind.PORT)
    assert [(p.key, p.attrs["role"], p.cwd) for p in ports] == [
        ("3001", "config", "web")
    ]
    assert ports[0].evidence[0].location == "web/vite.config.ts:4"
    assert_evidence_verifies(index, facts)
