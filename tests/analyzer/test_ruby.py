"""Tests of the Ruby (Bundler, Rails, Rack, Sidekiq) extractor."""

from pta_analyzer.extractors.ruby import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

GEMFILE = """source 'https://rubygems.org'
ruby '3.2.2'

gem 'rails', '~> 7.1'
gem 'pg'
gem 'sidekiq'

group :development, :test do
  gem 'rspec-rails'
end

group :test do
  gem 'mysql2' # test-only database driver
end
"""
RAILS_APP = {
    "Gemfile": GEMFILE,
    "config/application.rb": "module Shop\nend\n",
    "bin/rails": "#!/usr/bin/env ruby\n",
    "db/migrate/001_create_users.rb": "class CreateUsers\nend\n",
    "test/models/user_test.rb": "class UserTest\nend\n",
    "spec/models/user_spec.rb": "describe User do\nend\n",
    "config/database.yml": "default: &default\n  adapter: postgresql\n",
}
LOCK_42 = "GEM\n  specs:\n    rails (4.2.6)\n      actionpack (= 4.2.6)\n"


def test_gemfile_gives_bundler_install_and_runtime(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"Gemfile": GEMFILE, "Gemfile.lock": "GEM\n", ".ruby-version": "ruby-3.2.2\n"}
    )
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert [e.location for e in manager.evidence] == ["Gemfile:1", "Gemfile.lock:1"]
    assert keys(facts, FactKind.INSTALL) == {"bundle install"}
    runtimes = of_kind(facts, FactKind.RUNTIME)
    assert {(f.key, f.evidence[0].location) for f in runtimes} == {
        ("ruby 3.2.2", "Gemfile:2"),
        ("ruby 3.2.2", ".ruby-version:1"),
    }
    assert_evidence_verifies(index, facts)


def test_rails_app_server_port_migrate_and_tests(make_repo: MakeRepo) -> None:
    index = make_repo(RAILS_APP)
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.status, dev.attrs["process"]) == (
        "bin/rails server",
        Status.INFERRED,
        "web",
    )
    (port,) = of_kind(facts, FactKind.PORT)
    assert (port.key, port.attrs["role"]) == ("3000", "default")
    assert keys(facts, FactKind.MIGRATE) == {"bin/rails db:migrate"}
    tests = of_kind(facts, FactKind.TEST)
    assert {f.key for f in tests} == {"bin/rails test", "bundle exec rspec"}
    assert {f.scope for f in tests} == {Scope.APP}
    assert keys(facts, FactKind.FRAMEWORK) == {"rails"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}
    assert_evidence_verifies(index, facts)


def test_rails_4_uses_rake_tasks_from_the_lockfile(make_repo: MakeRepo) -> None:
    index = make_repo({**RAILS_APP, "Gemfile.lock": LOCK_42})
    facts = list(extract(index))

    (migrate,) = of_kind(facts, FactKind.MIGRATE)
    assert migrate.key == "rake db:migrate"
    assert "Gemfile.lock:3" in [e.location for e in migrate.evidence]
    assert "bundle exec rake test" in keys(facts, FactKind.TEST)
    assert_evidence_verifies(index, facts)


def test_rails_setup_and_dev_scripts(make_repo: MakeRepo) -> None:
    index = make_repo({**RAILS_APP, "bin/setup": "#!/usr/bin/env ruby\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.INSTALL) == {"bundle install", "bin/setup"}
    assert keys(facts, FactKind.DEV) == {"bin/rails server"}
    assert_evidence_verifies(index, facts)


def test_rails_without_binstub_uses_bundle_exec(make_repo: MakeRepo) -> None:
    files = {k: v for k, v in RAILS_APP.items() if k != "bin/rails"}
    index = make_repo(files)
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"bundle exec rails server"}


def test_services_from_gems_and_database_yml_skip_test_only(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(RAILS_APP)
    facts = list(extract(index))

    services = of_kind(facts, FactKind.SERVICE)
    assert {(f.key, f.evidence[0].location) for f in services} == {
        ("postgres", "Gemfile:5"),
        ("redis", "Gemfile:6"),
        ("postgres", "config/database.yml:2"),
    }
    assert_evidence_verifies(index, facts)


def test_sidekiq_is_a_worker_process(make_repo: MakeRepo) -> None:
    index = make_repo({"Gemfile": GEMFILE})
    facts = list(extract(index))

    (worker,) = of_kind(facts, FactKind.PROD)
    assert (worker.key, worker.attrs["process"]) == ("bundle exec sidekiq", "worker")


def test_config_ru_without_rails_runs_rackup(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Gemfile": "source 'https://rubygems.org'\ngem 'sinatra'\n",
            "config.ru": "require './app'\nrun Sinatra::Application\n",
        }
    )
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.evidence[0].location) == ("bundle exec rackup", "config.ru:2")
    assert keys(facts, FactKind.PORT) == {"9292"}
    assert keys(facts, FactKind.FRAMEWORK) == {"sinatra"}
    assert_evidence_verifies(index, facts)


def test_sinatra_without_config_ru_defaults_to_4567(make_repo: MakeRepo) -> None:
    index = make_repo({"Gemfile": "gem 'sinatra'\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.PORT) == {"4567"}
    assert of_kind(facts, FactKind.DEV) == []


def test_gem_library_with_rake_test_task(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Gemfile": "source 'https://rubygems.org'\ngemspec\n",
            "thing.gemspec": "Gem::Specification.new\n",
            "Rakefile": "require 'rake/testtask'\nRake::TestTask.new(:test)\n",
            "test/test_thing.rb": "class TestThing\nend\n",
        }
    )
    facts = list(extract(index))

    (test,) = of_kind(facts, FactKind.TEST)
    assert (test.key, test.status, test.scope) == (
        "bundle exec rake test",
        Status.EVIDENCED,
        Scope.APP,
    )
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}
    assert_evidence_verifies(index, facts)


def test_malformed_gemfile_does_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo({"Gemfile": "end\nend\ngem (\ngroup do\ngem 'rails'\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.PACKAGE_MANAGER) == {"bundler"}
    assert of_kind(facts, FactKind.DEV) == []


def test_example_app_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo({f"examples/blog/{k}": v for k, v in RAILS_APP.items()})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.scope, dev.cwd) == (Scope.EXAMPLE, "examples/blog")


def test_test_commands_take_the_scope_of_the_gemfile(make_repo: MakeRepo) -> None:
    index = make_repo({f"examples/blog/{k}": v for k, v in RAILS_APP.items()})
    facts = list(extract(index))

    assert {f.scope for f in of_kind(facts, FactKind.TEST)} == {Scope.EXAMPLE}


def test_empty_gemfile_gives_nothing(make_repo: MakeRepo) -> None:
    index = make_repo({"Gemfile": "", "Gemfile.lock": ""})

    assert list(extract(index)) == []


def test_conditionals_inside_groups_keep_the_group(make_repo: MakeRepo) -> None:
    gemfile = (
        "source 'https://rubygems.org'\n"
        "group :test do\n"
        "  if RUBY_VERSION > '3'\n"
        "    gem 'pry'\n"
        "  end\n"
        "  gem 'pg'\n"
        "end\n"
    )
    index = make_repo({"Gemfile": gemfile})

    assert of_kind(extract(index), FactKind.SERVICE) == []
