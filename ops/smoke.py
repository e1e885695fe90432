"""Smoke test: analyze the bundled fixture and validate every output.

``make smoke`` (or ``python ops/smoke.py``) runs ``pta analyze`` on
``examples/demo-service``. With ``PTA_API_URL`` set (and ``PTA_API_KEY`` when
the API wants a key) it goes through a running service instead: it submits
the fixture, waits for the run, and downloads every output. The repository
submitted is ``SMOKE_REPO_URL`` when set (a git URL the workers can reach);
otherwise a git copy of the fixture in a temporary directory, which needs
``ALLOW_LOCAL_REPOS=true`` and workers on this host.

Each output gets a check mark when it exists, matches its JSON Schema and
every evidence hash matches the fixture's lines; any failure prints what is
wrong and the exit status is 1.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "examples" / "demo-service"
RUN_TIMEOUT_S = 600.0
POLL_S = 1.0
FINISHED = {"SUCCEEDED", "FAILED", "CANCELED"}
OK, FAIL = "\u2713", "\u2717"


class SmokeFailure(Exception):
    """Raised when the analysis itself cannot be run or fetched."""


def main(argv: list[str] | None = None) -> int:
    """Run the smoke test; 0 when every output is valid."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default=os.environ.get("PTA_API_URL", ""))
    parser.add_argument("--key", default=os.environ.get("PTA_API_KEY", ""))
    parser.add_argument("--repo-url", default=os.environ.get("SMOKE_REPO_URL", ""))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pta-smoke-") as scratch:
        out_dir = Path(scratch) / "out"
        try:
            if args.api:
                where = fetch_from_api(args.api, args.key, args.repo_url, scratch)
            else:
                where = analyze_locally(out_dir)
                out_dir = where
        except SmokeFailure as error:
            print(f"{FAIL} analysis: {error}")
            print("smoke: FAILED")
            return 1
        print(f"{OK} analysis of {FIXTURE.relative_to(ROOT)} finished")
        failures = check_outputs(where)
    if failures:
        print(f"smoke: FAILED ({failures} output(s) invalid)")
        return 1
    print("smoke: all outputs valid")
    return 0


def analyze_locally(out_dir: Path) -> Path:
    """Run ``pta analyze`` on the fixture into ``out_dir``."""
    pta = Path(sys.executable).with_name("pta")
    command = [str(pta) if pta.exists() else "pta", "analyze", str(FIXTURE)]
    done = subprocess.run(
        [*command, "-o", str(out_dir), "--json", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SmokeFailure(f"pta analyze exited {done.returncode}: {last}")
    return out_dir


def fetch_from_api(api: str, key: str, repo_url: str, scratch: str) -> Path:
    """Submit the fixture to the API, wait for the run, download its outputs."""
    api = api.rstrip("/")
    if not repo_url:
        repo_url = _git_copy(Path(scratch) / "repo").as_uri()
    created = _request(api, key, "POST", "/api/ci/enqueue", {"repo_url": repo_url})
    run_id = created["run_id"]
    print(f"{OK} submitted as run {run_id}")

    deadline = time.monotonic() + RUN_TIMEOUT_S
    run = _request(api, key, "GET", f"/api/ci/runs/{run_id}")
    while run["status"] not in FINISHED:
        if time.monotonic() > deadline:
            raise SmokeFailure(f"run {run_id} still {run['status']}")
        time.sleep(POLL_S)
        run = _request(api, key, "GET", f"/api/ci/runs/{run_id}")
    if run["status"] != "SUCCEEDED":
        raise SmokeFailure(f"run {run_id} {run['status']}: {run.get('error')}")

    out_dir = Path(scratch) / "out"
    out_dir.mkdir()
    listing = _request(api, key, "GET", f"/api/ci/runs/{run_id}/outputs")
    for output in _output_names(listing):
        body = _request(api, key, "GET", f"/api/ci/runs/{run_id}/outputs/{output}")
        (out_dir / output).write_bytes(body)
    return out_dir


def check_outputs(out_dir: Path) -> int:
    """Print one line per output; return how many are invalid."""
    from pta_analyzer.validate import (
        ALL_OUTPUTS,
        JSON_OUTPUTS,
        evidence_problems,
        iter_evidence,
        schema_problems,
    )

    failures = 0
    for name in ALL_OUTPUTS:
        path = out_dir / name
        problems: list[str] = []
        detail = ""
        if not path.is_file() or path.stat().st_size == 0:
            problems.append("missing or empty")
        elif name in JSON_OUTPUTS:
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as error:
                problems.append(f"not JSON: {error}")
            else:
                problems += schema_problems(name, document)
                problems += evidence_problems(name, document, FIXTURE)
                count = sum(1 for _ in iter_evidence(document))
                detail = f"schema valid, {count} evidence hashes verified"
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            if not text.startswith("#"):
                problems.append("does not start with a Markdown title")
            detail = f"{len(text.splitlines())} lines"
        if problems:
            failures += 1
            print(f"{FAIL} {name}: {problems[0]}")
            for problem in problems[1:5]:
                print(f"    {problem}")
        else:
            print(f"{OK} {name}: {detail}")
    return failures


def _git_copy(dest: Path) -> Path:
    # The service clones git repositories only: commit a copy of the fixture.
    shutil.copytree(FIXTURE, dest)
    env = os.environ | {
        "GIT_AUTHOR_NAME": "pta-smoke",
        "GIT_AUTHOR_EMAIL": "smoke@invalid",
        "GIT_COMMITTER_NAME": "pta-smoke",
        "GIT_COMMITTER_EMAIL": "smoke@invalid",
    }
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fixture"]):
        subprocess.run(["git", *command], cwd=dest, env=env, check=True)
    return dest


def _output_names(listing: Any) -> list[str]:
    items = listing.get("outputs", listing) if isinstance(listing, dict) else listing
    return [item["name"] for item in items]


def _request(api: str, key: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    if not api.startswith(("http://", "https://")):
        raise SmokeFailure(f"PTA_API_URL must be an http(s) URL, not {api!r}")
    request = urllib.request.Request(api + path, data=data, method=method)  # noqa: S310
    if key:
        request.add_header("X-Api-Key", key)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            payload = answer.read()
            kind = answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")[:300]
        raise SmokeFailure(f"{method} {path}: HTTP {error.code} {text}") from None
    except OSError as error:
        raise SmokeFailure(f"{method} {path}: {error}") from None
    if "/outputs/" in path:
        return payload
    if "json" not in kind:
        raise SmokeFailure(f"{method} {path}: answered {kind or 'no type'}")
    return json.loads(payload)


if __name__ == "__main__":
    sys.exit(main())
