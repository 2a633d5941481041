"""The shared frontier in Redis: a priority queue of serialised requests, the fingerprints of every request
ever queued (the dupefilter), and leases on the requests workers have taken.

Redis's reliable-queue pattern: taking a request moves it from the queue to the lease set with an expiry;
the worker renews its leases while it lives and releases each one when it has finished with the request.
A lease that expires (its worker died or hung) is put back in the queue for any worker to take. Every
step is one Lua script, so two workers never take the same request and nothing falls between two steps.

Keys (``<prefix>:frontier:<name>:…``): ``queue`` (sorted set id → order), ``payload`` (hash id → request),
``seen`` (set of fingerprints), ``leases`` (sorted set id → expiry), ``owner`` (hash id → worker),
``order`` (hash id → queue order, kept while leased), ``seq`` (counter), ``run`` (the run id: a random
string the first worker of a run stores with the frontier). ``<prefix>:frontier-done:<name>`` keeps the id
of the last run that finished, for a day.

The run id tells a frontier that vanished (Redis restarted empty, or the keys were deleted) from one
that is merely empty: a worker that joined run R and finds another run id, or none, stored with the
frontier has lost it (:class:`FrontierLost`), unless R is the run that finished. Queueing and taking check
the run id in the same script, so a worker never rebuilds a few keys of a vanished frontier that a later
run would take for the whole crawl.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the frontier is made only with PIXIV_REDIS_URL: redis-py is imported then, not before
    import redis

#: how long the id of a finished run is kept (seconds): a worker still closing learns that its run
#: finished, not that its frontier vanished
DONE_TTL = 86400

# order: higher priority first, then the newest first (LIFO, as Scrapy's default queues)
# a frontier whose run id is not the worker's (ARGV[4], '' = no check) is lost: -1
_PUSH = """
if ARGV[4] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[4] then return -1 end
if ARGV[3] ~= '' and redis.call('SADD', KEYS[3], ARGV[3]) == 0 then return 0 end
local id = redis.call('INCR', KEYS[4])
local order = string.format('%.0f', -tonumber(ARGV[1]) * 1e12 - id)
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('ZADD', KEYS[1], order, id)
return id
"""

_TAKE = """
if ARGV[3] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[3] then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local popped = redis.call('ZPOPMIN', KEYS[1], 1)
if #popped == 0 then return false end
local id = popped[1]
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
redis.call('HSET', KEYS[4], id, ARGV[1])
redis.call('HSET', KEYS[5], id, popped[2])
return {id, redis.call('HGET', KEYS[2], id)}
"""

_RELEASE = """
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[2], id) == ARGV[1] then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    n = n + 1
  end
end
return n
"""

_RENEW = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1e6 + tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i])
    n = n + 1
  end
end
return n
"""

# the run this worker joins: the one stored with the frontier, or ARGV[1] when there is none
_JOIN = """
local run = redis.call('GET', KEYS[1])
if not run then
  redis.call('SET', KEYS[1], ARGV[1])
  run = ARGV[1]
end
return run
"""

# put leased requests back in the queue: the expired ones (ARGV[1] == '') or the given worker's ids
_REQUEUE = """
local ids
if ARGV[1] == '' then
  local t = redis.call('TIME')
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tonumber(t[1]) + tonumber(t[2]) / 1e6)
else
  ids = {}
  for i = 2, #ARGV do
    if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then table.insert(ids, ARGV[i]) end
  end
end
for _, id in ipairs(ids) do
  local order = redis.call('HGET', KEYS[3], id) or 0
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZADD', KEYS[4], order, id)
end
return #ids
"""


@dataclass(frozen=True)
class FrontierSize:
    queued: int
    leased: int

    @property
    def empty(self) -> bool:
        return self.queued == 0 and self.leased == 0


class FrontierLost(Exception):
    """The frontier this worker joined is gone from Redis (restarted empty, or its keys deleted)."""


class Frontier:
    """One crawl's frontier in Redis, as one worker uses it. Every method is one or two Redis calls and
    raises redis-py's errors (``redis.ConnectionError`` and the like during an outage) as they come;
    :class:`pixivcrawl.distributed.outage.BufferedFrontier` is the scheduler's patient front to it."""

    def __init__(self, client: redis.Redis, prefix: str, name: str, worker: str, lease_seconds: float) -> None:
        self.client = client
        self.name = name
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.run: str | None = None  # set by join(); until then queueing and taking do not check it
        base = f"{prefix}:frontier:{name}"
        self.keys = {part: f"{base}:{part}"
                     for part in ("queue", "payload", "seen", "leases", "owner", "order", "seq", "run")}
        self.done_key = f"{prefix}:frontier-done:{name}"
        k = self.keys
        self._push = client.register_script(_PUSH)
        self._take = client.register_script(_TAKE)
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)
        self._requeue = client.register_script(_REQUEUE)
        self._join = client.register_script(_JOIN)
        self._push_keys = [k["queue"], k["payload"], k["seen"], k["seq"], k["run"]]
        self._take_keys = [k["queue"], k["payload"], k["leases"], k["owner"], k["order"], k["run"]]
        self._release_keys = [k["leases"], k["owner"], k["payload"], k["order"]]
        self._lease_keys = [k["leases"], k["owner"]]
        self._requeue_keys = [k["leases"], k["owner"], k["order"], k["queue"]]

    def join(self) -> str:
        """Join the run stored with the frontier, or start one (a new frontier, or one whose run finished and
        was removed); returns the run id."""
        run = self._join(keys=[self.keys["run"]], args=[uuid.uuid4().hex])
        self.run = run.decode() if isinstance(run, bytes) else str(run)
        return self.run

    def status(self) -> str:
        """``running`` (the frontier of the run this worker joined is there), ``finished`` (that run finished
        and its frontier was removed by the last worker out) or ``lost`` (it vanished)."""
        run, done = self.client.mget(self.keys["run"], self.done_key)
        if self.run is None or run == self.run.encode():
            return "running"
        return "finished" if done == self.run.encode() else "lost"

    def push(self, payload: bytes, priority: int, fingerprint: str | None) -> str | None:
        """Queue a request; None if its fingerprint was queued before (``fingerprint=None``: never filtered).
        Raises FrontierLost when the run this worker joined is no longer the frontier's."""
        result = self._push(keys=self._push_keys, args=[priority, payload, fingerprint or "", self.run or ""])
        if result == -1:
            raise FrontierLost(self.name)
        return None if result == 0 else str(result)

    def take(self) -> tuple[str, bytes] | None:
        """The next request and its lease id, leased to this worker; None when the queue is empty. Raises
        FrontierLost when the run this worker joined is no longer the frontier's."""
        result = self._take(keys=self._take_keys, args=[self.worker, self.lease_seconds, self.run or ""])
        if result == -1:
            raise FrontierLost(self.name)
        if not result:
            return None
        lease, payload = result
        return lease.decode(), payload

    def release(self, *leases: str) -> int:
        """This worker has finished with these requests: forget them."""
        if not leases:
            return 0
        return self._release(keys=self._release_keys, args=[self.worker, *leases])

    def renew(self, leases: list[str]) -> int:
        if not leases:
            return 0
        return self._renew(keys=self._lease_keys, args=[self.worker, self.lease_seconds, *leases])

    def requeue_expired(self) -> int:
        """Put the requests of expired leases (dead or hung workers) back in the queue."""
        return self._requeue(keys=self._requeue_keys, args=[""])

    def give_back(self, leases: list[str]) -> int:
        """Put requests this worker took but will not finish back in the queue (the worker is stopping)."""
        if not leases:
            return 0
        return self._requeue(keys=self._requeue_keys, args=[self.worker, *leases])

    def size(self) -> FrontierSize:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys["queue"])
            pipe.zcard(self.keys["leases"])
            queued, leased = pipe.execute()
        return FrontierSize(queued, leased)

    def queued(self) -> int:
        return self.client.zcard(self.keys["queue"])

    def delete_if_finished(self) -> bool:
        """Forget a finished crawl (nothing queued or leased): a later run of the same job starts afresh."""
        with self.client.pipeline() as pipe:
            try:
                pipe.watch(self.keys["queue"], self.keys["leases"])
                if pipe.zcard(self.keys["queue"]) or pipe.zcard(self.keys["leases"]):
                    return False
                pipe.multi()
                pipe.delete(*self.keys.values())
                if self.run is not None:
                    pipe.set(self.done_key, self.run, ex=DONE_TTL)
                pipe.execute()
                return True
            except _watch_error():
                return False


def _watch_error() -> type[Exception]:
    from redis import WatchError

    return WatchError
