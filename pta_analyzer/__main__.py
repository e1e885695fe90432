"""``python -m pta_analyzer``: the same command line as ``pta``."""

from pta_analyzer.cli import main

raise SystemExit(main())
