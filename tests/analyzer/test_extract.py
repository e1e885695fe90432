"""Extractors run in forked workers give the same dossier as in one process."""

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from pta_analyzer import extract
from pta_analyzer.api import analyze_repository
from pta_analyzer.extract import (
    SHARED_READERS,
    Extractor,
    ExtractorRun,
    default_jobs,
    run_all_extractors,
    run_extractors,
)
from pta_analyzer.extractors import all_extractors
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex
from pta_analyzer.validate import ALL_OUTPUTS
from tests.analyzer.conftest import MakeRepo

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-service"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _without_timestamp(text: str) -> str:
    text = re.sub(r'"generated_at": "[^"]+"', '"generated_at": ""', text)
    return re.sub(r"at \d{4}-\d\d-\d\dT[\d:]+Z", "at T", text)


def _env_fact(index: RepoIndex, name: str) -> Fact:
    source = index.read("app.py")
    assert source is not None
    return Fact(
        kind=FactKind.ENV_VAR, key=name, source="test", evidence=(source.evidence(1),)
    )


def _summary(runs: list[ExtractorRun]) -> list[tuple[str, list[str], str | None]]:
    return [(run.name, [f.key for f in run.facts], run.error) for run in runs]


def test_forked_workers_write_the_same_dossier(tmp_path: Path) -> None:
    repo = shutil.copytree(DEMO, tmp_path / "demo")
    one, three = tmp_path / "one", tmp_path / "three"

    analyze_repository(repo, one, run_id="run", jobs=1)
    analyze_repository(repo, three, run_id="run", jobs=3)

    for name in ALL_OUTPUTS:
        a = _without_timestamp((one / name).read_text())
        b = _without_timestamp((three / name).read_text())
        assert a == b, name


def test_runs_come_back_in_the_given_order_with_errors(make_repo: MakeRepo) -> None:
    index = make_repo({"app.py": "import os\n"})

    def fails(_index: RepoIndex) -> Iterable[Fact]:
        raise RuntimeError("broken rule")

    extractors = [
        ("zeta", lambda i: [_env_fact(i, "Z")]),
        ("fails", fails),
        ("alpha", lambda i: [_env_fact(i, "A"), _env_fact(i, "B")]),
    ]

    runs = run_extractors(index, extractors, jobs=2)

    assert _summary(runs) == [
        ("zeta", ["Z"], None),
        ("fails", [], "RuntimeError: broken rule"),
        ("alpha", ["A", "B"], None),
    ]


def test_an_extractor_whose_worker_dies_is_run_again_here(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"app.py": "import os\n"})
    parent = os.getpid()

    def dies_in_a_worker(i: RepoIndex) -> Iterable[Fact]:
        if os.getpid() != parent:
            os._exit(9)  # as if the worker were killed mid-run
        return [_env_fact(i, "SURVIVED")]

    extractors = [(f"e{n}", dies_in_a_worker) for n in range(4)]

    runs = run_extractors(index, extractors, jobs=2)

    assert _summary(runs) == [(f"e{n}", ["SURVIVED"], None) for n in range(4)]


def test_files_read_by_workers_count_as_read(make_repo: MakeRepo) -> None:
    index = make_repo({"app.py": "import os\n", "b.txt": "b\n", "c.bin": b"\0\1"})

    def reader(path: str) -> Extractor:
        def extract(i: RepoIndex) -> Iterable[Fact]:
            i.read(path)
            return []

        return extract

    extractors = [("reads_b", reader("b.txt")), ("reads_binary", reader("c.bin"))]

    assert index.skipped == []  # binary is only known once read

    run_extractors(index, extractors, jobs=3)

    assert index.was_read("b.txt")
    assert [e.path for e in index.skipped] == ["c.bin"]


def test_the_real_extractors_agree_across_processes(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "app.py": "import os\nPORT = int(os.environ['PORT'])\n",
            "requirements.txt": "flask==3.0\n",
            "Procfile": "web: gunicorn app:app\n",
        }
    )
    extractors = all_extractors()

    single = run_extractors(index, extractors, jobs=1)
    forked = run_extractors(index, extractors, jobs=2)

    assert _summary(forked) == _summary(single)
    assert [r.facts for r in forked] == [r.facts for r in single]


def _first_line_fact(index: RepoIndex, path: str) -> list[Fact]:
    source = index.read(path)
    assert source is not None
    return [
        Fact(
            kind=FactKind.ENV_VAR,
            key=source.lines[0],
            source="test",
            evidence=(source.evidence(1),),
        )
    ]


def test_shared_readers_find_the_files_the_first_one_read(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"app.py": "first\n", "ci.yml": "ci\n"})
    first, *others = SHARED_READERS

    def reads_then_rewrites(i: RepoIndex) -> Iterable[Fact]:
        facts = _first_line_fact(i, "app.py")
        (i.root / "app.py").write_text("rewritten\n")  # a re-read would show it
        return facts

    extractors: list[tuple[str, Extractor]] = [
        (first, reads_then_rewrites),
        *((name, lambda i: _first_line_fact(i, "app.py")) for name in others),
        ("ci", lambda i: _first_line_fact(i, "ci.yml")),
    ]

    runs = run_extractors(index, extractors, jobs=3)

    assert _summary(runs) == [
        *((name, ["first"], None) for name in SHARED_READERS),
        ("ci", ["ci"], None),
    ]


def test_few_file_extractors_run_in_a_worker_of_their_own(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"app.py": "import os\n"})
    parent = os.getpid()

    def where(i: RepoIndex) -> Iterable[Fact]:
        return [_env_fact(i, "HERE" if os.getpid() == parent else "WORKER")]

    def fails(_index: RepoIndex) -> Iterable[Fact]:
        raise RuntimeError("broken rule")

    extractors = [
        ("ci", where),
        ("auth", where),
        ("docker", fails),
        ("secrets", fails),
        ("readme", where),
    ]

    runs = run_extractors(index, extractors, jobs=2)

    assert _summary(runs) == [
        ("ci", ["WORKER"], None),
        ("auth", ["HERE"], None),  # the first shared reader: before any fork
        ("docker", [], "RuntimeError: broken rule"),
        ("secrets", [], "RuntimeError: broken rule"),
        ("readme", ["WORKER"], None),
    ]


def test_a_few_file_extractor_whose_worker_dies_is_run_again_here(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"app.py": "import os\n"})
    parent = os.getpid()

    def dies_in_a_worker(i: RepoIndex) -> Iterable[Fact]:
        if os.getpid() != parent:
            os._exit(9)
        return [_env_fact(i, "SURVIVED")]

    extractors = [("ci", dies_in_a_worker), ("auth", dies_in_a_worker)]

    runs = run_extractors(index, extractors, jobs=2)

    assert _summary(runs) == [("ci", ["SURVIVED"], None), ("auth", ["SURVIVED"], None)]


def test_all_extractors_agree_when_imported_where_they_run(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "app.py": "import os\nPORT = int(os.environ['PORT'])\n",
            "requirements.txt": "flask==3.0\n",
            "Dockerfile": "FROM python:3.12\nEXPOSE 8000\n",
        }
    )

    single = run_all_extractors(index, jobs=1)
    forked = run_all_extractors(index, jobs=2)

    assert [run.name for run in single] == [name for name, _ in all_extractors()]
    assert _summary(forked) == _summary(single)
    assert [r.facts for r in forked] == [r.facts for r in single]


def test_all_extractors_are_listed_here_when_the_lister_dies(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = make_repo({"app.py": "import os\nPORT = int(os.environ['PORT'])\n"})
    single = run_all_extractors(index, jobs=1)
    parent = os.getpid()

    def listed_here_only() -> list[tuple[str, Extractor]]:
        if os.getpid() != parent:
            os._exit(9)  # the worker that lists every extractor dies
        return all_extractors()

    monkeypatch.setattr(extract, "all_extractors", listed_here_only)

    forked = run_all_extractors(index, jobs=2)

    assert _summary(forked) == _summary(single)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_no_file_descriptor_is_left_open(make_repo: MakeRepo) -> None:
    index = make_repo({"app.py": "import os\n"})
    extractors = [(name, lambda i: [_env_fact(i, "A")]) for name in ("ci", "auth")]
    open_before = len(os.listdir("/proc/self/fd"))

    run_extractors(index, extractors, jobs=3)
    run_all_extractors(index, jobs=3)

    assert len(os.listdir("/proc/self/fd")) == open_before


def test_default_jobs_is_within_bounds() -> None:
    assert 1 <= default_jobs() <= 4
