"""A progress line per crawl on stderr — items stored, requests, errors, elapsed time — for ``pixivcrawl demo`` and
long crawls, drawn by tqdm::

    illust_series: 120 items [00:05, 23.96 items/s, requests 131, errors 0]

Enabled by ``PIXIV_PROGRESS = True``. On a terminal each crawl has its own bar, redrawn in place twice a second
(several crawls in one process, as in the demo, get one line each); when stderr is not a terminal (a log file) the
same line is written as a line of its own every 2 seconds. The line is drawn once more when the spider closes.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

if TYPE_CHECKING:  # tqdm is imported when the line is drawn: a crawl without PIXIV_PROGRESS never loads it
    from tqdm import tqdm

#: seconds between two drawings of the line: on a terminal, and in a log
TERMINAL_INTERVAL, LOG_INTERVAL = 0.5, 2.0


def progress_counts(crawler: Crawler) -> dict[str, int]:
    """``items`` (Scrapy's ``item_scraped_count``), ``requests`` (``downloader/request_count``) and ``errors``
    (``log_count/ERROR``) of a crawl so far."""
    stats = crawler.stats.get_stats()
    return {"items": stats.get("item_scraped_count", 0), "requests": stats.get("downloader/request_count", 0),
            "errors": stats.get("log_count/ERROR", 0)}


class ProgressExtension:
    """Draws the crawl's progress line (see the module docstring) from its stats; all its state is its own."""

    def __init__(self, crawler: Crawler, stream: TextIO | None = None):
        if not crawler.settings.getbool("PIXIV_PROGRESS"):
            raise NotConfigured
        self.crawler = crawler
        self.stream = stream if stream is not None else sys.stderr
        self.name = ""
        self.started = 0.0
        self.bar: tqdm | None = None  # on a terminal, while the spider is open
        self._timer = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        self.name = spider.name
        self.started = time.monotonic()
        terminal = self.stream.isatty()
        if terminal:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.name, unit=" items", file=self.stream, leave=True, dynamic_ncols=True)
        self._timer = create_looping_call(self.render)
        self._timer.start(TERMINAL_INTERVAL if terminal else LOG_INTERVAL, now=False)

    def render(self) -> None:
        """Draw the line with the crawl's counts now."""
        counts = progress_counts(self.crawler)
        postfix = f"requests {counts['requests']}, errors {counts['errors']}"
        if self.bar is not None:
            self.bar.n = counts["items"]
            self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.refresh()
            return
        from tqdm import tqdm

        self.stream.write(tqdm.format_meter(n=counts["items"], total=None, elapsed=time.monotonic() - self.started,
                                            prefix=self.name, unit=" items", postfix=postfix) + "\n")
        self.stream.flush()

    def spider_closed(self, spider) -> None:
        if self._timer is None:
            return
        if self._timer.running:
            self._timer.stop()
        self._timer = None
        self.render()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
