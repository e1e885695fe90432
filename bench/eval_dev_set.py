"""Score the analyzer on a development set of real repositories.

Usage: python bench/eval_dev_set.py --dev-set SET.json --repos DIR [--scorer SCORE_PY]

DIR holds one checkout per repository, named like the repository (``owner/name``
→ ``DIR/name``), at the commit the set pins. Each is analyzed with ``pta
analyze`` and scored with the set's own scorer; one JSON line per repository
is printed, then the scorer's summary when ``summarize.py`` sits beside it.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-set", type=Path, required=True)
    parser.add_argument("--repos", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, help="default: score.py beside the set")
    parser.add_argument("--only", help="score only this repository name")
    args = parser.parse_args()

    scorer = args.scorer or args.dev_set.with_name("score.py")
    entries = json.loads(args.dev_set.read_text())
    lines = []
    with tempfile.TemporaryDirectory(prefix="pta-eval-") as scratch:
        for entry in entries:
            name = entry["repo"].split("/")[1]
            if args.only and args.only != name:
                continue
            lines.append(score_one(entry["repo"], args.repos / name, Path(scratch),
                                   args.dev_set, scorer))  # fmt: skip
        results = Path(scratch) / "results.jsonl"
        results.write_text("".join(line + "\n" for line in lines if line))
        summarize = scorer.with_name("summarize.py")
        if summarize.exists() and not args.only:
            subprocess.run([sys.executable, str(summarize), str(results)], check=False)
    return 0


def score_one(
    repo: str, checkout: Path, scratch: Path, dev_set: Path, scorer: Path
) -> str:
    out = scratch / checkout.name
    analyzed = subprocess.run(
        [sys.executable, "-m", "pta_analyzer", "analyze", str(checkout), "-o", str(out),
         "-q", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if analyzed.returncode != 0:
        print(f"{repo}: analyze failed: {analyzed.stderr.strip()}", file=sys.stderr)
        return ""
    scored = subprocess.run(
        [sys.executable, str(scorer), str(dev_set), repo, str(out / "operate.json"),
         str(checkout)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    print(scored.stdout.strip() or scored.stderr.strip())
    return scored.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
