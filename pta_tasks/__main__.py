"""``python -m pta_tasks``: the service's commands without the ``pta`` entry point."""

import sys

from pta_tasks.cli import main

sys.exit(main())
