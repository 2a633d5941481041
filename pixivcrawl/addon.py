"""Checks pixivcrawl's settings and turns its rate settings into Scrapy download slots, once the crawler's
settings are final. Deprecated setting names are moved to their new ones first (pixivcrawl.deprecations)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from .deprecations import apply_deprecations
from .distributed.connection import redis_url
from .endpoints import APIS

logger = logging.getLogger(__name__)


def _number(kind: type, minimum: float | None = None, *, above: float | None = None, maximum: float | None = None,
            unset: bool = False, what: str = "", note: str = "") -> Callable[[str, Any], str | None]:
    """A check of a numeric setting: ``kind`` int or float, within the bounds; ``unset``: None or "" allowed."""
    bounds = []
    if minimum is not None:
        bounds.append(f"{minimum:g} or more")
    if above is not None:
        bounds.append(f"more than {above:g}")
    if maximum is not None:
        bounds.append(f"at most {maximum:g}")
    if note:
        bounds.append(note)
    wanted = f"{'a whole number' if kind is int else 'a number'}{f' of {what}' if what else ''}" + (
        f" ({', '.join(bounds)})" if bounds else "")

    def check(name: str, value: Any) -> str | None:
        if unset and value in (None, ""):
            return None
        try:
            number = kind(str(value).strip()) if isinstance(value, str) else kind(value)
        except (TypeError, ValueError):
            return f"{name} must be {wanted}, not {value!r}"
        if (minimum is not None and number < minimum) or (above is not None and number <= above) or (
                maximum is not None and number > maximum):
            return f"{name} must be {wanted}, not {value!r}"
        return None

    return check


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str | None]:
    def check(name: str, value: Any) -> str | None:
        return None if value in choices else f"{name} must be one of {', '.join(choices)}, not {value!r}"

    return check


def _boolean(name: str, value: Any) -> str | None:
    try:
        BaseSettings({name: value}).getbool(name)
    except ValueError:
        return f"{name} must be true or false (1 or 0), not {value!r}"
    return None


def _image_types(name: str, value: Any) -> str | None:
    from pixivcrawl.pipelines.files import WORK_TYPES

    types = BaseSettings({name: value}).getlist(name)
    unknown = sorted(set(types) - set(WORK_TYPES))
    return f"{name} takes {', '.join(WORK_TYPES)}, not {', '.join(unknown)}" if unknown else None


def _mirror(name: str, value: Any) -> str | None:
    from pixivcrawl.mirror import parse_mirror

    try:
        if value:
            parse_mirror(str(value))
    except ValueError as exc:
        return str(exc)
    return None


def _redis(name: str, value: Any) -> str | None:
    if value and not str(value).startswith(("redis://", "rediss://", "unix://")):
        return f"{name} must be a Redis URL like redis://127.0.0.1:6379/0 (or rediss://, unix://), not {value!r}"
    return None


def _writable_file(name: str, value: Any) -> str | None:
    """A file the crawl writes at its end: its folder, or the nearest existing folder above it (the missing ones are
    made then), must be writable now, not only when the crawl closes."""
    if not value:
        return None
    existing = Path(str(value)).expanduser().absolute().parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        return f"{name} must be a file in a writable folder, not {value!r} ({existing} is not a writable folder)"
    return None


def _checks() -> dict[str, Callable[[str, Any], str | None]]:
    from pixivcrawl.middlewares.throttle import POLICIES
    from pixivcrawl.pipelines.files import SIZES
    from pixivcrawl.pipelines.ugoira import FORMATS

    seconds = _number(float, 0, what="seconds")
    rate = _number(float, 0, unset=True, what="requests per second", note="0 for no limit")
    return {
        "PIXIV_API_DELAY": seconds,  # deprecated, still honoured (pixivcrawl.deprecations)
        "PIXIV_API_CONCURRENCY": _number(int, 1),
        "PIXIV_CDN_CONCURRENCY": _number(int, 1),
        "PIXIV_THROTTLE_APP_RATE": rate,
        "PIXIV_THROTTLE_WEB_RATE": rate,
        "PIXIV_THROTTLE_CDN_RATE": rate,
        "PIXIV_THROTTLE_BURST": _number(float, above=0),
        "PIXIV_THROTTLE_POLICY": _choice(POLICIES),
        "PIXIV_THROTTLE_STOP_AFTER": _number(int, 1),
        "PIXIV_THROTTLE_WINDOW": _number(float, above=0, what="seconds"),
        "PIXIV_THROTTLE_SAFETY": _number(float, above=0, maximum=1),
        "PIXIV_THROTTLE_BACKOFF_BASE": seconds,
        "PIXIV_THROTTLE_BACKOFF_MAX": seconds,
        "PIXIV_THROTTLE_FLOOR": _number(float, 0, unset=True, what="requests per second"),
        "PIXIV_THROTTLE_INCREASE": _number(float, 0, note="0 for none"),
        "PIXIV_THROTTLE_RECOVERY": _number(float, 0, unset=True, what="seconds"),
        "PIXIV_AUTH_REFRESH_MARGIN": _number(float, what="seconds", note="negative: refresh only after expiry"),
        "PIXIV_REDIS_OUTAGE_MAX": seconds,
        "PIXIV_RETRY_BACKOFF": seconds,
        "PIXIV_MIRROR": _mirror,
        "PIXIV_DB_BATCH_SIZE": _number(int, 1),
        "PIXIV_DB_FLUSH_INTERVAL": seconds,
        "PIXIV_DB_AUTO_MIGRATE": _boolean,
        "PIXIV_FILES_IMAGE_SIZE": _choice(SIZES),
        "PIXIV_FILES_IMAGE_TYPES": _image_types,
        "PIXIV_UGOIRA_FORMAT": _choice(FORMATS),
        "PIXIV_FILES_MAX_ERRORS": _number(int, 1),
        "PIXIV_INCREMENTAL_STOP": _number(int, 0),
        "PIXIV_REDIS_LEASE_SECONDS": _number(float, above=0, what="seconds"),
        "PIXIV_PROGRESS": _boolean,
        "PIXIV_REDIS_URL": _redis,
        "PIXIV_STATS_FILE": _writable_file,
    }


def setting_problems(settings: BaseSettings) -> list[str]:
    """What is wrong with pixivcrawl's settings: one sentence per bad setting, naming it, what it takes and the
    value given (empty when all are fine). Settings that are not set are not checked."""
    problems = []
    for name, check in _checks().items():
        if name in settings and (problem := check(name, settings[name])):
            problems.append(problem)
    if not problems and settings.getfloat("PIXIV_THROTTLE_BACKOFF_BASE", 60.0) > settings.getfloat(
            "PIXIV_THROTTLE_BACKOFF_MAX", 900.0):
        problems.append(f"PIXIV_THROTTLE_BACKOFF_BASE ({settings['PIXIV_THROTTLE_BACKOFF_BASE']}) must not be more "
                        f"than PIXIV_THROTTLE_BACKOFF_MAX ({settings['PIXIV_THROTTLE_BACKOFF_MAX']})")
    return problems


def drop_switched_off_extensions(settings: BaseSettings) -> None:
    """Leave Scrapy's telnet console and remote control out of ``EXTENSIONS_BASE`` when their own setting
    (``TELNETCONSOLE_ENABLED``, ``REMOTE_CONTROL_ENABLED``; pixivcrawl.settings switches both off) is false and
    ``EXTENSIONS`` does not name them: Scrapy imports a switched-off extension's module before the extension
    refuses itself, and the remote control's imports aiohttp (~0.1 s of every crawl's start)."""
    base = settings.getdict("EXTENSIONS_BASE")
    named = {path if isinstance(path, str) else f"{path.__module__}.{path.__qualname__}"
             for path in settings.getdict("EXTENSIONS")}
    switched = {"scrapy.extensions.telnet.TelnetConsole": settings.getbool("TELNETCONSOLE_ENABLED"),
                "scrapy.extensions.remote_control.RemoteControl": settings.getbool("REMOTE_CONTROL_ENABLED")}
    off = [path for path, enabled in switched.items() if not enabled and path in base and path not in named]
    if off:
        for path in off:
            del base[path]
        settings.set("EXTENSIONS_BASE", base,
                     priority=max(settings.getpriority("EXTENSIONS_BASE") or 0, SETTINGS_PRIORITIES["addon"]))


#: the pixivcrawl components still built in a crawl refused at start: the summary line (outcome, exit code) and
#: the stats file (finish reason)
_KEPT_WHEN_REFUSED = ("pixivcrawl.extensions.stats_file.StatsFileExtension",
                      "pixivcrawl.extensions.summary.SummaryExtension")


class PixivAddon:
    """Checks pixivcrawl's settings (:func:`setting_problems`), and sets ``DOWNLOAD_SLOTS`` for pixiv's hosts
    from ``PIXIV_API_CONCURRENCY`` and ``PIXIV_CDN_CONCURRENCY`` (each API's ``concurrency`` in
    pixivcrawl.endpoints; one request at a time for OAuth) (the request rate itself is paced by
    pixivcrawl.middlewares.throttle). A slot the user configured in ``DOWNLOAD_SLOTS`` is left as it is. With
    ``PIXIV_REDIS_URL`` the scheduler is the shared Redis one, and the lease middleware follows the requests
    taken from it.

    Scrapy's telnet console and remote control, switched off by their own settings, are left out of
    ``EXTENSIONS_BASE`` (:func:`drop_switched_off_extensions`), so that a crawl does not import them.

    Before the checks, values given under deprecated names move to the new ones (one WARNING line each,
    pixivcrawl.deprecations.apply_deprecations): the checks name the new settings.

    A bad setting (``-s PIXIV_UGOIRA_FORMAT=mp4``, ``-s PIXIV_API_DELAY=abc``, …) refuses the crawl: none of
    pixivcrawl's pipelines, middlewares or extensions is built (nothing reads the bad value, the database and
    the files store are not touched, no request is sent), and once the spider is open it is closed with
    finish reason ``start_failed`` after one ERROR line naming the setting (stat ``pixiv/errors/start_failed``)."""

    def __init__(self, crawler: Crawler | None = None):
        self.crawler = crawler
        self.problems: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        apply_deprecations(settings)
        drop_switched_off_extensions(settings)
        self.problems = setting_problems(settings)
        if self.problems:
            if self.crawler is None:
                raise ValueError("; ".join(self.problems))
            self._refuse(settings)
            return
        # pacing is the throttle middleware's job (token buckets): slots only cap concurrency, per API
        # (pixivcrawl.endpoints: its ``concurrency`` setting or number, for each of its hosts)
        slots = {}
        for api in APIS:
            concurrency = settings.getint(api.concurrency) if isinstance(api.concurrency, str) else api.concurrency
            for host in api.hosts:
                slots[host] = {"concurrency": concurrency, "delay": 0.0}
        slots.update(settings.getdict("DOWNLOAD_SLOTS"))
        # keep the priority of a user's own DOWNLOAD_SLOTS, which the merged dict includes
        priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_SLOTS", slots, priority=priority)
        if redis_url(settings):  # distributed: the frontier lives in Redis, shared with the other workers
            settings.set("SCHEDULER", "pixivcrawl.distributed.scheduler.RedisScheduler", priority="addon")
            # sees each callback's final output, to know when a request taken from the frontier is finished
            spider_mws = settings.getdict("SPIDER_MIDDLEWARES")
            spider_mws.setdefault("pixivcrawl.distributed.leases.LeaseSpiderMiddleware", 10)
            settings.set("SPIDER_MIDDLEWARES", spider_mws,
                         priority=max(settings.getpriority("SPIDER_MIDDLEWARES") or 0, SETTINGS_PRIORITIES["addon"]))

    def _refuse(self, settings: BaseSettings) -> None:
        """Switch off pixivcrawl's own components and stop the crawl as soon as it is open."""
        for name in ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS"):
            components = settings.getdict(name)
            for path in list(components):
                qualified = path if isinstance(path, str) else f"{path.__module__}.{path.__qualname__}"
                if qualified.startswith("pixivcrawl.") and qualified not in _KEPT_WHEN_REFUSED:
                    components[path] = None
            settings.set(name, components, priority=max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"]))
        handlers = settings.getdict("DOWNLOAD_HANDLERS")  # scheme -> handler: pixivcrawl's reads PIXIV_MIRROR
        for scheme, path in list(handlers.items()):
            if isinstance(path, str) and path.startswith("pixivcrawl."):
                handlers[scheme] = None
        settings.set("DOWNLOAD_HANDLERS", handlers,
                     priority=max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"]))
        self.crawler.signals.connect(self._close_refused, signal=signals.spider_opened)

    def _close_refused(self) -> None:
        sentence = f"Not starting: {'; '.join(self.problems)}."
        logger.error("%s", sentence)
        self.crawler.stats.set_value("pixiv/errors/start_failed", sentence)
        raise CloseSpider("start_failed")
