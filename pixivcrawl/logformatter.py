"""Scrapy's log formatter, minus the messages the crawl's log level drops anyway.

Scrapy logs every item (``Scraped from …``, DEBUG), every response (``Crawled (200) …``, DEBUG) and every dropped
duplicate (``Dropped: …``, the level of its DropItem) through the ``logging`` module, whose root logger lets every
level through: each message became a LogRecord that Scrapy's handler then discarded at ``LOG_LEVEL`` (INFO by
default). :class:`LevelLogFormatter` returns no message below ``LOG_LEVEL`` (Scrapy then logs nothing), so a crawl
at INFO pays nothing for them; at ``LOG_LEVEL=DEBUG`` every message is logged as Scrapy logs it. (A handler of
your own at a lower level than ``LOG_LEVEL`` no longer receives these three messages.)
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


class LevelLogFormatter(LogFormatter):
    """Scrapy's LogFormatter; ``crawled``, ``scraped`` and ``dropped`` give None below ``LOG_LEVEL``."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__()
        self.level = level

    @classmethod
    def from_crawler(cls, crawler: Any) -> LevelLogFormatter:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
        return cls(level if isinstance(level, int) else logging.NOTSET)

    def crawled(self, *args: Any, **kwargs: Any) -> Any:
        return self._shown(super().crawled(*args, **kwargs)) if self.level <= logging.DEBUG else None

    def scraped(self, *args: Any, **kwargs: Any) -> Any:
        return self._shown(super().scraped(*args, **kwargs)) if self.level <= logging.DEBUG else None

    def dropped(self, *args: Any, **kwargs: Any) -> Any:
        return self._shown(super().dropped(*args, **kwargs))

    def _shown(self, result: Any) -> Any:
        return result if result is None or result["level"] >= self.level else None
