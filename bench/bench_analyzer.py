"""Analyzer benchmark: speed and peak memory against reading every byte once.

For each repository: the median wall time of ``pta analyze`` and of a baseline
that lists the same tree and reads every file's bytes once (both in fresh
child processes, after one warm-up run so the page cache is the same for
both), the files and MB per second, the peak resident memory of each, and
the ratio analyze / baseline. Goals: ratio at most 3x, and under 300 MB peak
on a 50,000-file tree.

Usage: python bench/bench_analyzer.py [REPO_DIR ...] [--runs N] [--synthetic N]
                                      [--jobs N]
Without REPO_DIR it measures this repository and a generated tree.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC_FILES = 50_000

BASELINE = r"""
import os, sys
from pta_analyzer.walk import walk_repository
root = sys.argv[1]
total = 0
for entry in walk_repository(__import__("pathlib").Path(root)).files:
    with open(os.path.join(root, entry.path), "rb") as handle:
        total += len(handle.read())
print(total)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=SYNTHETIC_FILES)
    parser.add_argument(
        "--jobs", type=int, help="pta analyze --jobs (default: the CLI's own)"
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="pta-bench-"))
    try:
        repos = list(args.repos) or [ROOT]
        if args.synthetic:
            repos.append(make_synthetic_tree(scratch / "synthetic", args.synthetic))
        rows = [measure(repo, scratch, args.runs, args.jobs) for repo in repos]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print_table(rows)
    return 0


def measure(
    repo: Path, scratch: Path, runs: int, jobs: int | None
) -> dict[str, object]:
    """Median time and peak memory of analyze and of the baseline on ``repo``."""
    out = scratch / f"out-{repo.name}"
    analyze = [sys.executable, "-m", "pta_analyzer", "analyze", str(repo), "-o",
               str(out), "--json", "-q"]  # fmt: skip
    if jobs is not None:
        analyze += ["--jobs", str(jobs)]
    baseline = [sys.executable, "-c", BASELINE, str(repo)]

    run_child(baseline)
    run_child(analyze)
    base_times, base_cpus, base_peaks, times, cpus, peaks = [], [], [], [], [], []
    for _ in range(runs):
        seconds, cpu, peak = run_child(baseline)
        base_times.append(seconds)
        base_cpus.append(cpu)
        base_peaks.append(peak)
        seconds, cpu, peak = run_child(analyze)
        times.append(seconds)
        cpus.append(cpu)
        peaks.append(peak)

    coverage = json.loads((out / "coverage.json").read_text())
    files, size = coverage["files_listed"], coverage["bytes_listed"]
    analyze_s, baseline_s = statistics.median(times), statistics.median(base_times)
    return {
        "repo": repo.name,
        "files": files,
        "mb": size / 1e6,
        "analyze_s": analyze_s,
        "baseline_s": baseline_s,
        "ratio": analyze_s / baseline_s if baseline_s else float("nan"),
        "cpu_s": statistics.median(cpus),
        "cpu_ratio": statistics.median(cpus) / statistics.median(base_cpus),
        "files_per_s": files / analyze_s,
        "mb_per_s": size / 1e6 / analyze_s,
        "peak_mb": max(peaks) / 1024,
        "baseline_peak_mb": max(base_peaks) / 1024,
    }


def run_child(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of a child.

    Both cover the child's own children (wait4 counts the ones it waited for);
    the peak is the largest single process's.
    """
    started = time.perf_counter()
    # Children may write bytecode: a run that recompiles modules edited since
    # the last one would measure the compiler, which users do not pay for.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"benchmark child failed: {' '.join(command[:4])}: {error}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def make_synthetic_tree(root: Path, count: int) -> Path:
    """A tree of ``count`` small files in a mix of kinds, with a few manifests."""
    kinds = [
        ("py", "import os\nPORT = int(os.environ.get('PORT', '8000'))\n\ndef f():\n"
               "    return os.getenv('FEATURE_FLAG')\n" * 3),
        ("js", "const port = process.env.PORT || 3000;\n"
               "module.exports = { port };\n" * 3),
        ("md", "# Notes\n\nSome prose about the module.\n" * 5),
        ("json", '{"name": "x", "version": "1.0.0"}\n'),
        ("go", "package main\n\nimport \"os\"\n\nvar addr = os.Getenv(\"ADDR\")\n" * 2),
    ]  # fmt: skip
    for number in range(count):
        extension, body = kinds[number % len(kinds)]
        directory = root / f"pkg{number // 500:03d}" / f"mod{number // 50 % 10}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"file{number}.{extension}").write_text(body)
    (root / "requirements.txt").write_text("flask==3.0.0\nredis==5.0.0\n")
    (root / "package.json").write_text(
        '{"name": "s", "scripts": {"start": "node i.js"}}\n'
    )
    return root


def print_table(rows: list[dict[str, object]]) -> None:
    header = (f"{'repository':28} {'files':>7} {'MB':>7} {'analyze s':>10} "
              f"{'read-all s':>10} {'ratio':>6} {'cpu s':>6} {'cpu x':>6} "
              f"{'files/s':>8} {'MB/s':>6} "
              f"{'peak MB':>8} {'base MB':>8}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['repo']!s:28} {r['files']:>7} {r['mb']:>7.1f} "
            f"{r['analyze_s']:>10.2f} {r['baseline_s']:>10.2f} {r['ratio']:>6.2f} "
            f"{r['cpu_s']:>6.2f} {r['cpu_ratio']:>6.2f} "
            f"{r['files_per_s']:>8.0f} {r['mb_per_s']:>6.1f} {r['peak_mb']:>8.0f} "
            f"{r['baseline_peak_mb']:>8.0f}"
        )
    print(
        "\ngoal: ratio <= 3.0 and peak < 300 MB on the 50,000-file tree "
        "(times are medians; ratios compare runs on the same warm page cache; "
        "cpu x is the ratio of CPU seconds, less sensitive to a busy machine)"
    )


if __name__ == "__main__":
    sys.exit(main())
