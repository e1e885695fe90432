from pathlib import Path

import pytest

from pta_tasks.errors import ConfigError, ErrorCode
from pta_tasks.settings import GIB, MIB, load_settings


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings({"PTA_STATE_DIR": "/srv/pta"})

    assert settings.tmp_dir == Path("/tmp/ci")
    assert settings.max_repo_bytes == 250 * MIB
    assert settings.max_file_count == 50_000
    assert settings.analyzer_timeout_ms == 600_000
    assert settings.analyzer_jobs == 1
    assert settings.allowed_repo_hosts == ("github.com", "gitlab.com", "bitbucket.org")
    assert settings.allowed_repo_schemes == ("https",)
    assert settings.min_free_bytes == GIB
    assert settings.min_free_percent == 5.0
    assert settings.worker_enabled is True
    assert settings.allow_private_network is False
    assert settings.allow_local_repos is False


def test_no_configuration_is_the_embedded_default() -> None:
    settings = load_settings({"PTA_STATE_DIR": "/srv/pta"})

    assert settings.database_url == "sqlite:////srv/pta/pta.db"
    assert settings.is_embedded


def test_time_limits_nest_inside_the_visibility_timeout() -> None:
    settings = load_settings(
        {"ANALYZER_TIMEOUT_MS": "60000", "CLONE_TIMEOUT_MS": "30000"}
    )

    assert settings.soft_time_limit_s > 90
    assert settings.hard_time_limit_s > settings.soft_time_limit_s
    assert settings.visibility_timeout_s > (
        settings.hard_time_limit_s + settings.retry_backoff_max_s
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_REPO_BYTES", "250MB"),
        ("MAX_REPO_BYTES", "0"),
        ("MAX_FILE_COUNT", "-1"),
        ("ANALYZER_TIMEOUT_MS", "ten"),
        ("ANALYZER_JOBS", "0"),
        ("CI_HEARTBEAT_S", "nan"),
        ("CI_HEARTBEAT_S", "inf"),
        ("CI_MIN_FREE_PERCENT", "101"),
        ("CI_WORKER_ENABLED", "maybe"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})

    assert caught.value.code == ErrorCode.CONFIG_INVALID
    assert f"Invalid {name}" in str(caught.value)


def test_production_requires_database_url() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL is required"):
        load_settings({"PTA_ENV": "production", "REDIS_URL": "redis://r:6379/0"})


def test_production_requires_redis_url() -> None:
    with pytest.raises(ConfigError, match="REDIS_URL is required"):
        load_settings({"PTA_ENV": "production", "DATABASE_URL": "postgresql://d/p"})


def test_heartbeat_timeout_must_outlast_two_heartbeats() -> None:
    with pytest.raises(ConfigError, match="CI_HEARTBEAT_TIMEOUT_S"):
        load_settings({"CI_HEARTBEAT_S": "10", "CI_HEARTBEAT_TIMEOUT_S": "15"})


def test_token_is_not_in_the_settings_repr() -> None:
    settings = load_settings({"GITHUB_TOKEN": "ghp_SENTINELSENTINEL"})

    assert settings.github_token == "ghp_SENTINELSENTINEL"
    assert "SENTINEL" not in repr(settings)


def test_worker_can_be_disabled() -> None:
    assert load_settings({"CI_WORKER_ENABLED": "false"}).worker_enabled is False
