"""Tests of the .NET extractor."""

from pta_analyzer.extractors.dotnet import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

WEB = """<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" Version="8.0.0" />
    <PackageReference Include="Microsoft.EntityFrameworkCore.Design" Version="8.0.0" />
  </ItemGroup>
</Project>
"""
TESTS = """<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.8.0" />
    <PackageReference Include="Microsoft.Data.Sqlite" Version="8.0.0" />
  </ItemGroup>
</Project>
"""
CLI = """<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
  </PropertyGroup>
</Project>
"""


def test_solution_groups_restore_build_test_and_run(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Shop.sln": "Microsoft Visual Studio Solution File\n",
            "src/Api/Api.csproj": WEB,
            "tests/Api.Tests/Api.Tests.csproj": TESTS,
        }
    )
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert (manager.key, manager.evidence[0].path) == ("nuget", "Shop.sln")
    assert keys(facts, FactKind.INSTALL) == {"dotnet restore"}
    assert keys(facts, FactKind.BUILD) == {"dotnet build"}
    (test,) = of_kind(facts, FactKind.TEST)
    assert (test.key, test.scope, test.evidence[-1].line_start) == (
        "dotnet test",
        Scope.APP,
        3,
    )
    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.cwd, dev.status) == (
        "dotnet run --project src/Api/Api.csproj",
        "",
        Status.INFERRED,
    )
    assert keys(facts, FactKind.FRAMEWORK) == {"aspnetcore"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}
    assert keys(facts, FactKind.RUNTIME) == {"dotnet net8.0"}
    assert_evidence_verifies(index, facts)


def test_services_come_from_app_projects_only(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"Shop.sln": "x\n", "Api/Api.csproj": WEB, "Api.Tests/T.csproj": TESTS}
    )
    facts = list(extract(index))

    (service,) = of_kind(facts, FactKind.SERVICE)
    assert (service.key, service.evidence[0].location) == (
        "postgres",
        "Api/Api.csproj:6",
    )


def test_lone_console_project_runs_in_its_directory(make_repo: MakeRepo) -> None:
    index = make_repo({"tool/Tool.csproj": CLI})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.cwd) == ("dotnet run", "tool")
    assert keys(facts, FactKind.PROJECT_KIND) == {"cli"}
    assert {f.cwd for f in of_kind(facts, FactKind.BUILD)} == {"tool"}
    assert_evidence_verifies(index, facts)


def test_ef_migrations_give_database_update(make_repo: MakeRepo) -> None:
    index = make_repo({"Api.csproj": WEB, "Migrations/0001_Init.cs": "class Init {}\n"})
    facts = list(extract(index))

    (migrate,) = of_kind(facts, FactKind.MIGRATE)
    assert (migrate.key, migrate.evidence[0].line_start) == (
        "dotnet ef database update",
        7,
    )
    assert_evidence_verifies(index, facts)


def test_class_library_is_a_library(make_repo: MakeRepo) -> None:
    index = make_repo({"Lib.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n</Project>\n'})
    facts = list(extract(index))

    assert of_kind(facts, FactKind.DEV) == []
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}


def test_malformed_project_file_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo({"Bad.csproj": "<Project Sdk=", "global.json": "{}"})

    assert list(extract(index)) == []


def test_sample_project_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo({"samples/Web/Web.csproj": WEB})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.scope, dev.cwd) == (Scope.EXAMPLE, "samples/Web")
