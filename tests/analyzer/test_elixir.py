"""Tests of the Elixir (Mix, Phoenix, Ecto) extractor."""

from pta_analyzer.extractors.elixir import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

MIX = """defmodule Shop.MixProject do
  use Mix.Project

  def project do
    [app: :shop, elixir: "~> 1.15", deps: deps()]
  end

  defp deps do
    [
      {:phoenix, "~> 1.7"},
      {:ecto_sql, "~> 3.10"},
      {:postgrex, ">= 0.0.0"}
    ]
  end

  defp aliases do
    [
      setup: ["deps.get", "ecto.setup"],
      test: ["ecto.create --quiet", "test"]
    ]
  end
end
"""


def test_phoenix_app_commands_port_and_services(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "mix.exs": MIX,
            "mix.lock": "%{}\n",
            "test/shop_test.exs": "defmodule T do\nend\n",
        }
    )
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert [e.location for e in manager.evidence] == ["mix.exs:4", "mix.lock:1"]
    assert keys(facts, FactKind.INSTALL) == {"mix deps.get", "mix setup"}
    (setup,) = (f for f in facts if f.key == "mix setup")
    assert (setup.status, setup.evidence[0].line_start) == (Status.EVIDENCED, 18)
    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.status, dev.evidence[0].line_start) == (
        "mix phx.server",
        Status.INFERRED,
        10,
    )
    assert keys(facts, FactKind.PORT) == {"4000"}
    assert keys(facts, FactKind.MIGRATE) == {"mix ecto.migrate"}
    (test,) = of_kind(facts, FactKind.TEST)
    assert (test.key, test.scope) == ("mix test", Scope.APP)
    assert keys(facts, FactKind.SERVICE) == {"postgres"}
    assert keys(facts, FactKind.RUNTIME) == {"elixir ~> 1.15"}
    assert_evidence_verifies(index, facts)


def test_umbrella_children_run_from_the_root(make_repo: MakeRepo) -> None:
    umbrella = 'defmodule U do\n  def project do\n    [apps_path: "apps"]\n  end\nend\n'
    index = make_repo({"mix.exs": umbrella, "apps/web/mix.exs": MIX})
    facts = list(extract(index))

    assert [(f.key, f.cwd) for f in of_kind(facts, FactKind.DEV)] == [
        ("mix phx.server", "")
    ]
    assert [f.cwd for f in of_kind(facts, FactKind.INSTALL)] == [""]


def test_escript_is_a_cli(make_repo: MakeRepo) -> None:
    mix = "defmodule C do\n  def project do\n    [escript: [main_module: C]]\n  end\n"
    index = make_repo({"mix.exs": mix})
    facts = list(extract(index))

    assert keys(facts, FactKind.PROJECT_KIND) == {"cli"}
    assert of_kind(facts, FactKind.DEV) == []


def test_garbage_mix_exs_does_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo({"mix.exs": "{:{:, defp deps do\n{:\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.PACKAGE_MANAGER) == {"mix"}
    assert_evidence_verifies(index, facts)


def test_example_project_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo({"examples/shop/mix.exs": MIX})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.scope, dev.cwd) == (Scope.EXAMPLE, "examples/shop")
