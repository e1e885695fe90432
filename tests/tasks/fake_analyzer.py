"""A stand-in analyzer for fault tests, run as ``python -m tests.tasks.fake_analyzer``.

It reads ``pta-fake.json`` in the analyzed directory: ``{"sleep": seconds,
"mode": "ok" | "invalid", "pidfile": path}``. Mode ``ok`` then hands over to
the real analyzer (same arguments); ``invalid`` writes a dossier whose claims
cite a wrong hash.
"""

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    command, target = sys.argv[1], Path(sys.argv[2])
    config = json.loads((target / "pta-fake.json").read_text())
    if config.get("pidfile"):
        Path(config["pidfile"]).write_text(str(os.getpid()))
    time.sleep(float(config.get("sleep", 0)))
    if config.get("mode", "ok") == "ok" or command != "analyze":
        args = [sys.executable, "-m", "pta_analyzer", *sys.argv[1:]]
        os.execv(sys.executable, args)
    out = Path(sys.argv[sys.argv.index("-o") + 1])
    out.mkdir(parents=True, exist_ok=True)
    for name in ("operate.json", "target_howto.json", "claims.json", "coverage.json"):
        (out / name).write_text(json.dumps({"not": "a dossier"}))
    (out / "DOSSIER.md").write_text("# nothing\n")
    print(json.dumps({"fake": True}))


if __name__ == "__main__":
    main()
