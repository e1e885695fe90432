"""API load benchmark: latency at a fixed request rate, under gunicorn.

It creates a Postgres database and takes a Redis db index of its own, starts
``pta-api`` on loopback with the documented worker count (``WEB_CONCURRENCY``
and ``WEB_THREADS`` defaults unless given), and for each route sends
requests at a fixed rate (open loop: each request has a scheduled time and
its latency counts from then, so a slow server cannot hide its queueing) over
keep-alive connections. It prints, per route, the requests per second
achieved, p50/p95/p99 latency and the errors. Goal: p95 under 50 ms at 200
requests per second on a 2-core machine, and no error.

Everything stays on 127.0.0.1; every loop is bounded in count and time.
No worker runs: submitted runs stay queued, and the benchmark's database and
Redis db are removed at the end.

Usage: python bench/bench_api.py [--rate 200] [--seconds 15] [--connections 32]
                                 [--routes run,health,enqueue]
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "PTA_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PTA_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
API_KEY = "bench-client-key-" + secrets.token_hex(8)
GOAL_P95_MS = 50.0
WARMUP_S = 3.0
START_TIMEOUT_S = 90
# A request that takes longer than this counts as an error (seconds).
REQUEST_TIMEOUT_S = 10.0

Request = Callable[[int], bytes]


@dataclass
class Result:
    """Latencies (seconds) and errors of one route's run."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def report(self) -> dict[str, object]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            if not ordered:
                return float("nan")
            return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]

        return {
            "route": self.name,
            "requests": len(ordered) + sum(self.errors.values()),
            "rps": round(len(ordered) / self.elapsed_s, 1) if self.elapsed_s else 0,
            "p50_ms": round(pct(0.50), 2),
            "p95_ms": round(pct(0.95), 2),
            "p99_ms": round(pct(0.99), 2),
            "max_ms": round(1000 * ordered[-1], 2) if ordered else None,
            "mean_ms": round(1000 * statistics.fmean(ordered), 2) if ordered else None,
            "errors": self.errors,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s")
    parser.add_argument("--seconds", type=float, default=15.0, help="per route")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--routes",
        default="run,health,enqueue",
        help="comma-separated subset of run, health, enqueue",
    )
    args = parser.parse_args()
    if not 1 <= args.rate <= 2000 or not 1 <= args.seconds <= 120:
        parser.error("rate must be 1..2000 and seconds 1..120 (bounded load)")

    with (
        database() as pg_url,
        redis_db() as redis_url,
        api_server(pg_url, redis_url) as (port, env, master),
    ):
        run_id = _seed_run(port)
        known: dict[str, tuple[str, Request]] = {
            "run": ("GET /api/ci/runs/<id>", _get(f"/api/ci/runs/{run_id}")),
            "health": ("GET /api/health", _get("/api/health")),
            "enqueue": ("POST /api/ci/enqueue", _enqueue),
        }
        routes = [known[name] for name in args.routes.split(",") if name in known]
        print(
            json.dumps(
                {
                    "bench": "api",
                    "rate": args.rate,
                    "seconds": args.seconds,
                    "connections": args.connections,
                    "web_concurrency": env.get("WEB_CONCURRENCY", "default (4)"),
                    "web_threads": env.get("WEB_THREADS", "default (2)"),
                    "cores": os.cpu_count(),
                    "load_average": os.getloadavg(),
                }
            )
        )
        failed = False
        for name, request in routes:
            asyncio.run(_drive(port, request, args.rate, WARMUP_S, args.connections))
            cpu_before = _server_cpu_s(master)
            result = asyncio.run(
                _drive(port, request, args.rate, args.seconds, args.connections, name)
            )
            report = result.report()
            # CPU the gunicorn workers spent per request: what the machine's
            # load cannot inflate much; capacity ~ cores / this (database and
            # Redis not counted).
            served = max(1, len(result.latencies))
            cpu_ms = 1000 * (_server_cpu_s(master) - cpu_before) / served
            report["server_cpu_ms_per_request"] = round(cpu_ms, 2)
            print(json.dumps(report))
            p95 = report["p95_ms"]
            assert isinstance(p95, float)
            failed |= bool(result.errors) or not p95 < GOAL_P95_MS
        print(
            json.dumps({"goal": f"p95 < {GOAL_P95_MS} ms, no error", "met": not failed})
        )
    return 0


def _server_cpu_s(master: int) -> float:
    """User + system CPU seconds of ``master`` and its children so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        if pid == master or int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _get(path: str) -> Request:
    raw = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {API_KEY}\r\n\r\n"
    ).encode()
    return lambda i: raw


def _enqueue(i: int) -> bytes:
    body = json.dumps(
        {"repo_url": "http://127.0.0.1:9/bench/app.git", "ref": f"b-{uuid.uuid4().hex}"}
    ).encode()
    head = (
        "POST /api/ci/enqueue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"X-Api-Key: {API_KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _drive(
    port: int,
    request: Request,
    rate: float,
    seconds: float,
    connections: int,
    name: str = "warmup",
) -> Result:
    result = Result(name)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]
    pool = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(None)
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(
            asyncio.create_task(_one(port, request(i), scheduled, pool, result))
        )
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - start
    while not pool.empty():
        connection = pool.get_nowait()
        if connection is not None:
            connection[1].close()
    return result


async def _one(
    port: int,
    raw: bytes,
    scheduled: float,
    pool: "asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]",
    result: Result,
) -> None:
    connection = await pool.get()
    try:
        if connection is None:
            connection = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = connection
        writer.write(raw)
        status, keep = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
        latency = time.perf_counter() - scheduled
        if status >= 400:
            result.error(f"http_{status}")
        else:
            result.latencies.append(latency)
        if not keep:
            writer.close()
            connection = None
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
        result.error(type(error).__name__)
        if connection is not None:
            connection[1].close()
        connection = None
    finally:
        pool.put_nowait(connection)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


def _seed_run(port: int) -> str:
    raw = _enqueue(0)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        data = b""
        while b"}" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    body = data.split(b"\r\n\r\n", 1)[1]
    run_id: str = json.loads(body)["run_id"]
    return run_id


@contextmanager
def database() -> Iterator[str]:
    name = f"pta_bench_{os.getpid()}"
    url = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        env = dict(os.environ) | {"DATABASE_URL": db_url, "PTA_ENV": "test"}
        subprocess.run(
            [str(Path(sys.executable).parent / "pta"), "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        yield db_url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_db() -> Iterator[str]:
    claims = redis.Redis.from_url(f"{REDIS_URL}/0")
    index = next(
        (
            i
            for i in range(1, 16)
            if claims.set(f"pta-test-db-{i}", os.getpid(), nx=True, ex=3600)
        ),
        None,
    )
    if index is None:
        raise SystemExit("no free Redis db index")
    db = redis.Redis.from_url(f"{REDIS_URL}/{index}")
    db.flushdb()
    try:
        yield f"{REDIS_URL}/{index}"
    finally:
        db.flushdb()
        claims.delete(f"pta-test-db-{index}")


@contextmanager
def api_server(
    pg_url: str, redis_url: str
) -> Iterator[tuple[int, dict[str, str], int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = Path(tempfile.mkdtemp(prefix="pta-bench-"))
    env = {
        "PTA_ENV": "test",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "API_KEYS": API_KEY,
        "PTA_STATE_DIR": str(state / "state"),
        "CI_TMP_DIR": str(state / "ci"),
        "ALLOWED_REPO_HOSTS": "127.0.0.1",
        "ALLOWED_REPO_SCHEMES": "http",
        "ALLOW_PRIVATE_NETWORK": "true",
        "CI_QUEUE": f"bench{secrets.token_hex(3)}",
        # One client sends everything: the per-client limits would throttle it.
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "RATE_LIMIT_ENQUEUE_PER_MINUTE": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("WEB_CONCURRENCY", "WEB_THREADS"):
        if name in os.environ:
            env[name] = os.environ[name]
    log = (state / "api.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pta-api")],
        env={k: v for k, v in os.environ.items() if not k.startswith("PTA_")} | env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_ready(port, process)
        yield port, env, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _wait_ready(port: int, process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("pta-api exited during start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                if b" 200 " in sock.recv(1024):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("pta-api did not start")


if __name__ == "__main__":
    sys.exit(main())
