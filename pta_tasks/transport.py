"""kombu's Redis transport, for processes that publish on a hot path.

kombu's Redis channel builds a new ``redis.Redis`` client for each message it
sends (over the channel's connection pool), and building one costs more than
sending the message: redis-py fills a table of a few hundred response
callbacks per client. ``PublishTransport`` keeps one client per channel.

A ``redis.Redis`` client is safe to share between threads (each command
borrows a connection from the pool), and the client follows the channel's
pool, which kombu replaces after a fork or a lost connection.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from kombu.transport import redis as kombu_redis

# Where Celery's ``broker_transport`` setting finds it.
PUBLISH_TRANSPORT = "pta_tasks.transport:PublishTransport"


class PublishChannel(kombu_redis.Channel):
    """kombu's Redis channel, reusing one client for the messages it sends."""

    _shared_client: redis.Redis | None = None

    @contextmanager
    def conn_or_acquire(
        self, client: redis.Redis | None = None
    ) -> Iterator[redis.Redis]:
        if client is not None:
            yield client
            return
        shared = self._shared_client
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._create_client()  # type: ignore[no-untyped-call]
            self._shared_client = shared
        yield shared


class PublishTransport(kombu_redis.Transport):
    """kombu's Redis transport with ``PublishChannel``s."""

    Channel = PublishChannel
