"""A slow stand-in analyzer, run as ``python -m tests.api.slow_analyzer``.

If the analyzed directory has ``pta-slow.json`` (``{"sleep": seconds,
"pidfile": path}``), it writes its pid and sleeps first; then it hands over
to the real analyzer with the same arguments.
"""

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    target = Path(sys.argv[2])
    config_path = target / "pta-slow.json"
    if sys.argv[1] == "analyze" and config_path.exists():
        config = json.loads(config_path.read_text())
        Path(config["pidfile"]).write_text(str(os.getpid()))
        time.sleep(float(config["sleep"]))
    args = [sys.executable, "-m", "pta_analyzer", *sys.argv[1:]]
    os.execv(sys.executable, args)


if __name__ == "__main__":
    main()
