import pytest

from pta_tasks.errors import ErrorCode, HostNotAllowed, InvalidRepoUrl
from pta_tasks.settings import load_settings
from pta_tasks.urls import is_commit_sha, validate_ref, validate_repo_url

SETTINGS = load_settings({})


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "ext::sh",
        "fd::17",
        "--upload-pack=touch /tmp/pwned",
        "-u",
        "https://user:secret@github.com/o/r",
        "https://ghp_token@github.com/o/r",
        "http://github.com/o/r",
        "ssh://git@github.com/o/r",
        "git@github.com:o/r.git",
        "https://github.com/../../etc/passwd",
        "https://github.com/o/r?upload-pack=x",
        "https://github.com/o/r#frag",
        "https://github.com/o/%2e%2e/r",
        "https://github.com/o/-r",
        "https://github.com/",
        "https://github.com/o/r with space",
        "https://github.com/o\n/r",
        "https://github.com/o//r",
        "file:///etc",
        "/etc",
        "./repo",
        "",
    ],
)
def test_hostile_or_malformed_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidRepoUrl) as caught:
        validate_repo_url(url, SETTINGS)

    assert caught.value.code == ErrorCode.INVALID_REPO_URL


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/o/r",
        "https://github.com.evil.org/o/r",
        "https://127.0.0.1/o/r",
    ],
)
def test_host_outside_the_allow_list_is_refused(url: str) -> None:
    with pytest.raises(HostNotAllowed) as caught:
        validate_repo_url(url, SETTINGS)

    assert caught.value.code == ErrorCode.HOST_NOT_ALLOWED


def test_loopback_host_needs_private_network_allowed() -> None:
    settings = load_settings(
        {"ALLOWED_REPO_HOSTS": "127.0.0.1", "ALLOWED_REPO_SCHEMES": "http"}
    )
    with pytest.raises(HostNotAllowed, match="private network"):
        validate_repo_url("http://127.0.0.1:8080/o/r.git", settings)

    allowed = load_settings(
        {
            "ALLOWED_REPO_HOSTS": "127.0.0.1",
            "ALLOWED_REPO_SCHEMES": "http",
            "ALLOW_PRIVATE_NETWORK": "true",
        }
    )
    repo = validate_repo_url("http://127.0.0.1:8080/o/r.git", allowed)
    assert repo.url == "http://127.0.0.1:8080/o/r.git"


def test_url_is_normalized_and_split_into_owner_and_name() -> None:
    repo = validate_repo_url("  https://GitHub.com/Pallets/flask.git/ ", SETTINGS)

    assert repo.url == "https://github.com/Pallets/flask.git"
    assert (repo.host, repo.owner, repo.name) == ("github.com", "Pallets", "flask")


def test_local_path_is_allowed_only_when_asked(tmp_path: object) -> None:
    with pytest.raises(InvalidRepoUrl, match="local repositories"):
        validate_repo_url("/srv/repos/app", SETTINGS)

    repo = validate_repo_url("/srv/repos/app", SETTINGS, allow_local=True)
    assert repo.url == "file:///srv/repos/app"
    assert repo.is_local


@pytest.mark.parametrize(
    "ref", ["-x", "--upload-pack=x", "a..b", "a b", "x.lock", "@{-1}"]
)
def test_option_shaped_or_invalid_ref_is_refused(ref: str) -> None:
    with pytest.raises(InvalidRepoUrl):
        validate_ref(ref)


def test_valid_refs_pass() -> None:
    assert validate_ref("main") == "main"
    assert validate_ref("refs/tags/v1.2.0") == "refs/tags/v1.2.0"
    assert validate_ref("") is None


def test_commit_sha_is_recognized() -> None:
    assert is_commit_sha("a" * 40)
    assert not is_commit_sha("a" * 39)
    assert not is_commit_sha("main")


def test_transport_helper_is_named_in_the_refusal() -> None:
    with pytest.raises(InvalidRepoUrl, match="transport helpers"):
        validate_repo_url("ext::sh -c touch% /tmp/pwned", SETTINGS)
