"""Tests of the Rust extractor."""

from pta_analyzer.extractors.rust import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

CARGO = """[package]
name = "jump"
version = "0.1.0"
description = "Jumps around"
rust-version = "1.75"

[dependencies]
clap = "4"
"""
MAIN = 'use std::env;\n\nfn main() {\n    println!("hi");\n}\n'


def test_binary_crate_is_a_cli_with_build_run_install(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"Cargo.toml": CARGO, "Cargo.lock": "# lock\n", "src/main.rs": MAIN}
    )
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert [e.location for e in manager.evidence] == ["Cargo.toml:1", "Cargo.lock:1"]
    assert keys(facts, FactKind.BUILD) == {"cargo build --release"}
    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.status, dev.evidence[0].location) == (
        "cargo run",
        Status.INFERRED,
        "src/main.rs:3",
    )
    assert keys(facts, FactKind.INSTALL) == {
        "cargo build --release",
        "cargo install --path .",
    }
    assert keys(facts, FactKind.PROJECT_KIND) == {"cli"}
    assert keys(facts, FactKind.RUNTIME) == {"rust 1.75"}
    assert keys(facts, FactKind.DESCRIPTION) == {"Jumps around"}
    assert_evidence_verifies(index, facts)


def test_several_binaries_are_run_by_name(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"Cargo.toml": CARGO, "src/main.rs": MAIN, "src/bin/tool.rs": MAIN}
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"cargo run --bin jump", "cargo run --bin tool"}
    assert_evidence_verifies(index, facts)


def test_crate_without_binary_is_a_library(make_repo: MakeRepo) -> None:
    index = make_repo({"Cargo.toml": CARGO, "src/lib.rs": "pub fn f() {}\n"})
    facts = list(extract(index))

    assert of_kind(facts, FactKind.DEV) == []
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}


def test_rocket_is_a_service_with_default_port(make_repo: MakeRepo) -> None:
    cargo = CARGO + 'rocket = { version = "0.5" }\ntokio-postgres = "0.7"\n'
    index = make_repo({"Cargo.toml": cargo, "src/main.rs": MAIN})
    facts = list(extract(index))

    (framework,) = of_kind(facts, FactKind.FRAMEWORK)
    assert (framework.key, framework.evidence[0].line_start) == ("rocket", 9)
    (port,) = of_kind(facts, FactKind.PORT)
    assert (port.key, port.status, port.attrs["role"]) == (
        "8000",
        Status.INFERRED,
        "default",
    )
    assert keys(facts, FactKind.SERVICE) == {"postgres"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}
    assert_evidence_verifies(index, facts)


def test_nextest_config_adds_nextest_in_app_scope(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Cargo.toml": CARGO,
            ".config/nextest.toml": "[profile.default]\n",
            "tests/cli.rs": "#[test]\nfn t() {}\n",
        }
    )
    facts = list(extract(index))

    tests = {f.key: f for f in of_kind(facts, FactKind.TEST)}
    assert set(tests) == {"cargo nextest run", "cargo test"}
    assert tests["cargo nextest run"].status is Status.EVIDENCED
    assert {f.scope for f in tests.values()} == {Scope.APP}
    assert "tests/cli.rs" in [e.path for e in tests["cargo test"].evidence]
    assert_evidence_verifies(index, facts)


def test_workspace_members_run_from_the_root(make_repo: MakeRepo) -> None:
    member = CARGO.replace('"jump"', '"server"') + 'axum = "0.7"\n'
    index = make_repo(
        {
            "Cargo.toml": '[workspace]\nmembers = ["server"]\n',
            "server/Cargo.toml": member,
            "server/src/main.rs": MAIN,
        }
    )
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.cwd) == ("cargo run -p server", "")
    assert {f.cwd for f in of_kind(facts, FactKind.BUILD)} == {""}
    assert keys(facts, FactKind.FRAMEWORK) == {"axum"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}
    assert_evidence_verifies(index, facts)


def test_toolchain_file_gives_runtime(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"Cargo.toml": CARGO, "rust-toolchain.toml": '[toolchain]\nchannel = "1.80"\n'}
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.RUNTIME) == {"rust 1.75", "rust 1.80"}
    assert_evidence_verifies(index, facts)


def test_malformed_cargo_toml_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo({"Cargo.toml": "[package\nname = ", "src/main.rs": MAIN})

    assert list(extract(index)) == []


def test_example_crate_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"examples/demo/Cargo.toml": CARGO, "examples/demo/src/main.rs": MAIN}
    )
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.scope, dev.cwd) == (Scope.EXAMPLE, "examples/demo")


def test_declared_bin_path_is_cited_and_not_doubled(make_repo: MakeRepo) -> None:
    cargo = CARGO + '\n[[bin]]\nname = "jp"\npath = "src/main.rs"\n'
    index = make_repo({"Cargo.toml": cargo, "src/main.rs": MAIN})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.evidence[0].location) == ("cargo run", "src/main.rs:3")


def test_fuzz_harness_and_member_descriptions_are_left_out(
    make_repo: MakeRepo,
) -> None:
    fuzz = '[package]\nname = "fuzz"\n[package.metadata]\ncargo-fuzz = true\n'
    index = make_repo(
        {
            "Cargo.toml": CARGO + '\n[workspace]\nmembers = ["lib"]\n',
            "src/main.rs": MAIN,
            "lib/Cargo.toml": '[package]\nname = "lib"\ndescription = "inner"\n',
            "fuzz/Cargo.toml": fuzz + '[workspace]\nmembers = ["."]\n',
            "fuzz/src/main.rs": MAIN,
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"cargo run"}
    assert keys(facts, FactKind.DESCRIPTION) == {"Jumps around"}
    assert keys(facts, FactKind.PACKAGE_MANAGER) == {"cargo"}


def test_workspace_rust_version_is_inherited(make_repo: MakeRepo) -> None:
    cargo = (
        '[package]\nname = "a"\nrust-version.workspace = true\n\n'
        '[workspace.package]\nrust-version = "1.80"\n'
    )
    index = make_repo({"Cargo.toml": cargo})
    facts = list(extract(index))

    (runtime,) = of_kind(facts, FactKind.RUNTIME)
    assert (runtime.key, runtime.evidence[0].line_start) == ("rust 1.80", 6)


def test_modules_of_a_bin_directory_are_not_binaries(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Cargo.toml": CARGO,
            "src/bin/tool/main.rs": MAIN,
            "src/bin/tool/helpers.rs": "pub fn h() {}\n",
            "src/bin/other.rs": MAIN,
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {
        "cargo run --bin tool",
        "cargo run --bin other",
    }


def test_sqlx_features_name_the_database(make_repo: MakeRepo) -> None:
    cargo = (
        CARGO + 'sqlx = { version = "0.7", features = ["runtime-tokio", "postgres"] }\n'
    )
    index = make_repo({"Cargo.toml": cargo})
    facts = list(extract(index))

    (service,) = of_kind(facts, FactKind.SERVICE)
    assert (service.key, service.evidence[0].line_start) == ("postgres", 9)


def test_empty_or_partial_cargo_toml_is_not_a_crate(make_repo: MakeRepo) -> None:
    index = make_repo({"Cargo.toml": "", "a/Cargo.toml": "[dependencies]\nx = '1'\n"})

    assert list(extract(index)) == []
