"""``Idempotency-Key``: a retried submission gets the answer of the first.

The first answer (status and body) is kept under the client's identity and
the key for ``IDEMPOTENCY_TTL_S``, with a fingerprint of the request; the
same key with another request is refused. Redis holds the answers when
``REDIS_URL`` is set; otherwise (the embedded default, one process) a
bounded in-process table does.
"""

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import redis

from pta_api.errors import ApiErrorCode, InvalidRequest

KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,255}")
# Answers kept in process when there is no Redis.
LOCAL_CAPACITY = 10_000
REDIS_PREFIX = "pta-api:idem:"


@dataclass(frozen=True)
class Stored:
    """A first answer kept for a key."""

    fingerprint: str
    status: int
    body: dict[str, Any]


def check_key(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header if well formed; raises ``InvalidRequest``."""
    if value is None:
        return None
    if not KEY_SHAPE.fullmatch(value):
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
            field="Idempotency-Key",
        )
    return value


def fingerprint(payload: dict[str, Any]) -> str:
    """A digest of the request that a key is bound to."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyStore:
    """First answers by (client, key), in Redis or in process."""

    def __init__(self, client: "redis.Redis | None", ttl_s: int) -> None:
        self._redis = client
        self._ttl_s = ttl_s
        self._local: OrderedDict[str, tuple[float, Stored]] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, owner: str, key: str, print_: str) -> Stored | None:
        """The stored answer, or None; raises when the key names another request."""
        stored = self._get(self._name(owner, key))
        if stored is None:
            return None
        if stored.fingerprint != print_:
            raise InvalidRequest(
                "this Idempotency-Key was used for a different request",
                ApiErrorCode.IDEMPOTENCY_KEY_REUSED,
                422,
                field="Idempotency-Key",
            )
        return stored

    def keep(self, owner: str, key: str, stored: Stored) -> Stored:
        """Keep ``stored`` unless an answer is already kept; return the kept one."""
        name = self._name(owner, key)
        text = json.dumps(
            {"fp": stored.fingerprint, "status": stored.status, "body": stored.body}
        )
        if self._redis is not None:
            if self._redis.set(name, text, nx=True, ex=self._ttl_s):
                return stored
            return self._get(name) or stored
        with self._lock:
            self._expire_local()
            kept = self._local.get(name)
            if kept is not None:
                return kept[1]
            self._local[name] = (time.monotonic() + self._ttl_s, stored)
            while len(self._local) > LOCAL_CAPACITY:
                self._local.popitem(last=False)
        return stored

    def _get(self, name: str) -> Stored | None:
        if self._redis is not None:
            raw = self._redis.get(name)
            if raw is None:
                return None
            data = json.loads(raw)
            return Stored(data["fp"], int(data["status"]), data["body"])
        with self._lock:
            self._expire_local()
            kept = self._local.get(name)
        return None if kept is None else kept[1]

    def _expire_local(self) -> None:
        now = time.monotonic()
        while self._local:
            name, (deadline, _) = next(iter(self._local.items()))
            if deadline > now:
                break
            del self._local[name]

    @staticmethod
    def _name(owner: str, key: str) -> str:
        digest = hashlib.sha256(f"{owner}\0{key}".encode()).hexdigest()
        return REDIS_PREFIX + digest
