"""Where the shared Redis is and how pixivcrawl names its keys there."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid

from scrapy.settings import BaseSettings


def redis_url(settings: BaseSettings) -> str:
    """``PIXIV_REDIS_URL`` (setting or environment); empty = not distributed."""
    return settings.get("PIXIV_REDIS_URL") or os.environ.get("PIXIV_REDIS_URL") or ""


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
