"""Writes the crawl's final stats as JSON to ``PIXIV_STATS_FILE`` (for schedulers, dashboards and tests).

Stats never hold credentials (see pixivcrawl.middlewares.auth), so the file is safe to keep.
"""

from __future__ import annotations

import json
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StatsFileExtension:
    def __init__(self, crawler: Crawler):
        path = crawler.settings.get("PIXIV_STATS_FILE")
        if not path:
            raise NotConfigured
        self.path = Path(path)
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(stats, default=str, indent=1, sort_keys=True), encoding="utf-8")
