"""The broker goes away: a private Redis server is stopped and started again.
Postgres keeps the runs; nothing is lost, nothing stays RUNNING."""

import json
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from pta_tasks.app import RUN_TASK, create_celery, make_dispatcher
from pta_tasks.reconcile import reconcile_once
from pta_tasks.settings import Settings
from pta_tasks.transport import PublishChannel

from .conftest import fake_repo
from .gitserver import GitHttpServer
from .service import Service

pytestmark = pytest.mark.slow


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_run_submitted_while_redis_is_down_is_sent_when_it_is_back(
    service: Service, git_server: GitHttpServer, private_redis: PrivateRedis
) -> None:
    service.with_env(REDIS_URL=private_redis.url)
    private_redis.stop()

    started = time.monotonic()
    run_id = service.submit(git_server.url("acme/app.git"))
    submit_s = time.monotonic() - started
    private_redis.start()
    service.start_worker()
    time.sleep(service.settings.requeue_after_s)
    report = reconcile_once(service.app.pta_runtime)
    run = service.wait(run_id)

    assert submit_s < 10
    assert report["resent"] == 1
    assert run["status"] == "SUCCEEDED", run


def test_redis_restarted_mid_run_delays_the_run_but_does_not_lose_it(
    service: Service,
    git_server: GitHttpServer,
    private_redis: PrivateRedis,
    tmp_path: Path,
) -> None:
    service.with_env(REDIS_URL=private_redis.url)
    pidfile = tmp_path / "analyzer.pid"
    url = fake_repo(git_server, "redis-blip", {"sleep": 3, "pidfile": str(pidfile)})
    service.start_worker(CI_ANALYZER_MODULE="tests.tasks.fake_analyzer")
    service.start_beat()
    run_id = service.submit(url)
    while not pidfile.exists():
        time.sleep(0.05)

    private_redis.stop()  # it keeps nothing: the message is gone with it
    time.sleep(1)
    private_redis.start()
    run = service.wait(run_id, timeout_s=120)

    assert run["status"] == "SUCCEEDED", run
    assert run["job"]["status"] == "DONE"


def test_a_publisher_sends_through_one_client_and_survives_a_redis_restart(
    settings: Settings, private_redis: PrivateRedis
) -> None:
    app = create_celery(replace(settings, redis_url=private_redis.url), False)
    dispatch = make_dispatcher(app)
    queue = redis.Redis.from_url(private_redis.url)

    dispatch(uuid.uuid4(), 0.0)
    channel = app.pta_publisher._channel
    first_client = channel._shared_client
    dispatch(uuid.uuid4(), 0.0)
    second_client = channel._shared_client
    sent_before_restart = queue.llen(settings.queue)
    private_redis.stop()
    private_redis.start()
    dispatch(uuid.uuid4(), 0.0)

    assert isinstance(channel, PublishChannel)
    assert first_client is not None and second_client is first_client
    assert sent_before_restart == 2
    assert queue.llen(settings.queue) == 1


def test_a_run_message_is_the_one_send_task_would_send(
    settings: Settings, redis_url: str
) -> None:
    app = create_celery(settings, False)
    run_id = uuid.uuid4()
    queue = redis.Redis.from_url(redis_url)

    make_dispatcher(app)(run_id, 0.0)
    ours = json.loads(queue.rpop(settings.queue) or b"")
    task_id = ours["headers"]["id"]
    app.send_task(RUN_TASK, args=[str(run_id)], queue=settings.queue, task_id=task_id)
    theirs = json.loads(queue.rpop(settings.queue) or b"")

    for message in (ours, theirs):
        message["properties"].pop("delivery_tag")  # a new one for each message
    assert ours == theirs
    assert task_id.startswith(f"{run_id}.")


def test_a_delayed_run_message_carries_its_eta(
    settings: Settings, redis_url: str
) -> None:
    app = create_celery(settings, False)
    queue = redis.Redis.from_url(redis_url)

    before = datetime.now(UTC)
    make_dispatcher(app)(uuid.uuid4(), 30.0)
    message = json.loads(queue.rpop(settings.queue) or b"")

    eta = datetime.fromisoformat(message["headers"]["eta"])
    assert before + timedelta(seconds=29) < eta < before + timedelta(seconds=40)
