"""Turns pixivcrawl's rate settings into Scrapy download slots, once the crawler's settings are final."""

from __future__ import annotations

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from .distributed.connection import redis_url
from .hosts import APP_API_HOST, IMAGE_HOST, OAUTH_HOST, STATIC_HOST, WEB_HOST


class PixivAddon:
    """Sets ``DOWNLOAD_SLOTS`` for pixiv's hosts from ``PIXIV_API_CONCURRENCY`` and ``PIXIV_CDN_CONCURRENCY``
    (the request rate itself is paced by pixivcrawl.middlewares.throttle). A slot the user configured in
    ``DOWNLOAD_SLOTS`` is left as it is. With ``PIXIV_REDIS_URL`` the scheduler is the shared Redis one, and
    the lease middleware follows the requests taken from it."""

    def update_settings(self, settings: BaseSettings) -> None:
        delay = settings.getfloat("PIXIV_API_DELAY")
        if delay < 0:
            raise ValueError(f"PIXIV_API_DELAY must be 0 or more seconds, not {delay}")
        # pacing is the throttle middleware's job (token buckets): slots only cap concurrency
        api = {"concurrency": settings.getint("PIXIV_API_CONCURRENCY"), "delay": 0.0}
        cdn = {"concurrency": settings.getint("PIXIV_CDN_CONCURRENCY"), "delay": 0.0}
        slots = {
            APP_API_HOST: api,
            WEB_HOST: dict(api),
            OAUTH_HOST: {"concurrency": 1, "delay": 0.0},
            IMAGE_HOST: cdn,
            STATIC_HOST: dict(cdn),
        }
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
