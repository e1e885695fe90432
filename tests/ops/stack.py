"""A local PTA stack for the ops tests: the processes of docker-compose.yml,
started with their compose commands on this machine (the image's entry
points, from the virtualenv), against the test Postgres and Redis."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from .tools import ROOT, compose

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# The image's working directory; the compose commands name files under it.
IMAGE_ROOT = "/app/"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def local_argv(argv: list[str]) -> list[str]:
    """A container command as it runs here: programs from the virtualenv,
    image paths from the repository."""
    program, *rest = argv
    if program == "python":
        program = sys.executable
    elif (BIN / program).exists():
        program = str(BIN / program)
    return [program, *(arg.replace(IMAGE_ROOT, f"{ROOT}/") for arg in rest)]


def compose_command(service: str) -> list[str]:
    """The ``command`` of a compose service, made local."""
    return local_argv(compose()["services"][service]["command"])


def compose_healthcheck(service: str) -> list[str]:
    """The health check command of a compose service, made local."""
    test = compose()["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return local_argv(test[1:])


class Proc:
    """One service process in its own session, its output in a file."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], logs: Path):
        self.name = name
        self.log = logs / f"{name}.log"
        self._file = self.log.open("wb")
        self.popen = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=logs,
            stdin=subprocess.DEVNULL,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            self._check_alive(deadline, f"no {text!r}")
            time.sleep(0.2)

    def wait_healthy(self, check: list[str], env: Mapping[str, str]) -> None:
        """Run ``check`` until it exits 0 (the container's health check)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while subprocess.run(check, env=dict(env), capture_output=True).returncode:
            self._check_alive(deadline, "health check never passed")
            time.sleep(0.3)

    def stop(self) -> None:
        """SIGTERM the group (as a container stop does), then SIGKILL."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_TIMEOUT_S)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT_S)
        self._file.close()

    def _check_alive(self, deadline: float, what: str) -> None:
        if self.popen.poll() is not None:
            code = self.popen.returncode
            raise RuntimeError(f"{self.name} exited {code}:\n{self.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{self.name}: {what}:\n{self.output()[-3000:]}")
