"""Where the shared Redis is and how pixivcrawl names its keys there."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from typing import TYPE_CHECKING

from scrapy.settings import BaseSettings

if TYPE_CHECKING:  # redis-py is imported by the functions that make clients: a crawl without Redis never loads it
    import redis
    import redis.asyncio as aioredis


def redis_url(settings: BaseSettings) -> str:
    """``PIXIV_REDIS_URL`` (setting or environment); empty = not distributed."""
    return settings.get("PIXIV_REDIS_URL") or os.environ.get("PIXIV_REDIS_URL") or ""


def sync_client(url: str) -> redis.Redis:
    """The scheduler's client. Short timeouts: its calls run on the reactor, and a Redis that does not answer
    in 5 s is treated as away (pixivcrawl.distributed.outage). A pooled connection that broke (Redis restarted)
    is retried once on a new one, so a Redis that is back is not taken for one still away."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30,
                                retry=Retry(NoBackoff(), 1), retry_on_error=[redis.ConnectionError])


def async_client(url: str) -> aioredis.Redis:
    """The shared budgets' client (asyncio), retrying a broken pooled connection once as :func:`sync_client`."""
    import redis
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10,
                                   retry=AsyncRetry(NoBackoff(), 1), retry_on_error=[redis.ConnectionError])


def key_prefix(settings: BaseSettings) -> str:
    return settings.get("PIXIV_REDIS_PREFIX") or "pixivcrawl"


def worker_name() -> str:
    """This process among the workers: host, pid and a random part (a restarted pid is another worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def fingerprint_of(secret: str | None) -> str:
    """A stable, non-reversible name for an account, from its credential (the credential never leaves
    the process; only this digest names the account's keys in Redis)."""
    if not secret:
        return "anonymous"
    return hashlib.sha256(b"pixivcrawl-account\0" + secret.encode()).hexdigest()[:16]
