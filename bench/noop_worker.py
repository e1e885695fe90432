"""A bare Celery worker with the service's own Celery settings and one no-op
task: the floor ``bench_service.py`` compares the run task against.

Run as ``python bench/noop_worker.py HOSTNAME`` with the service's environment;
the task records when it started in the Redis list ``bench:noop:started``.
"""

import sys
import time

import redis
from celery import Celery

from pta_tasks.app import celery_config
from pta_tasks.settings import load_settings

STARTED_KEY = "bench:noop:started"


def make_app() -> Celery:
    settings = load_settings()
    app = Celery("pta-noop", set_as_current=False)
    app.conf.update(celery_config(settings))
    app.conf.beat_schedule = {}
    client = redis.Redis.from_url(settings.redis_url or "")

    @app.task(name="bench.noop", acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def noop(token: str) -> None:
        client.rpush(STARTED_KEY, f"{token} {time.time()}")

    return app


if __name__ == "__main__":
    app = make_app()
    settings = load_settings()
    app.worker_main(
        [
            "worker",
            "--loglevel=WARNING",
            f"--hostname={sys.argv[1]}",
            f"--queues={settings.queue}",
            "--concurrency=1",
            "--pool=prefork",
            "--events",
        ]
    )
