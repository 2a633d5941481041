"""``scrapy crawl``, with an exit code that says whether the crawl did its job.

Scrapy's own ``crawl`` exits 0 whatever happened once the crawl ran. This one (found through
``COMMANDS_MODULE = "pixivcrawl.commands"``, so ``scrapy crawl`` and scrapyd's jobs use it) exits with the code
of :func:`pixivcrawl.extensions.summary.crawl_outcome`: 0 finished with nothing lost, 2 could not start, 3
finished or stopped with losses; 1 stays Scrapy's code for a crash.
"""

from __future__ import annotations

import argparse

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from pixivcrawl import collector
from pixivcrawl.extensions.summary import EXIT_CRASHED, crawl_outcome


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider of the current project, by name; the exit code says how it went (see README)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        if args[0] not in self.crawler_process.spider_loader.list():
            known = ", ".join(sorted(self.crawler_process.spider_loader.list()))
            raise UsageError(f"There is no spider {args[0]!r}; pixivcrawl's spiders are {known}.", print_help=False)
        collector.pause()  # no garbage collection until the spider is opened (pixivcrawl.collector)
        try:
            crawler = self._create_crawler(args[0])
            crawler.signals.connect(collector.settle, signal=signals.spider_opened)
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        finally:
            collector.resume()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_CRASHED
            return
        self.exitcode = crawl_outcome(crawler.stats.get_stats()).code
