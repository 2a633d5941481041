"""A one-line progress display (items, requests, errors, seconds) for ``pixivcrawl demo`` and long crawls.

Enabled by ``PIXIV_PROGRESS = True``. Several crawls in one process share the line.
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

_crawlers: dict[str, Crawler] = {}
_started = [0.0]
_timer = []


def totals(crawlers) -> dict[str, int]:
    out = {"items": 0, "requests": 0, "errors": 0}
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        out["items"] += stats.get("item_scraped_count", 0)
        out["requests"] += stats.get("downloader/request_count", 0)
        out["errors"] += stats.get("log_count/ERROR", 0)
    return out


def _render() -> None:
    parts = [f"{name} {c.stats.get_value('item_scraped_count', 0)}" for name, c in _crawlers.items()]
    t = totals(_crawlers.values())
    line = (f"  items: {', '.join(parts)} | requests {t['requests']} | errors {t['errors']} "
            f"| {time.monotonic() - _started[0]:.1f}s")
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:150].ljust(150))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


class ProgressExtension:
    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("PIXIV_PROGRESS"):
            raise NotConfigured
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        key = spider.name
        n = 2
        while key in _crawlers:
            key, n = f"{spider.name}#{n}", n + 1
        _crawlers[key] = self.crawler
        if not _timer:
            _started[0] = time.monotonic()
            timer = create_looping_call(_render)
            timer.start(0.5 if sys.stderr.isatty() else 2.0, now=False)
            _timer.append(timer)

    def spider_closed(self, spider) -> None:
        if all(c.crawling is False or c is self.crawler for c in _crawlers.values()) and _timer:
            _render()
            if sys.stderr.isatty():
                sys.stderr.write("\n")
            _timer.pop().stop()
