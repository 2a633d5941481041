"""Several crawls in one process, and the table that sums them up: what ``pixivcrawl demo`` and ``pixivcrawl get``
share.

:func:`run_crawls` runs a list of ``(spider, arguments)`` jobs in one Scrapy process (``AsyncCrawlerProcess``,
one crawler each, all at once), printing each one's ``scrapy crawl`` line first; :func:`print_summary` prints the
closing table (rows per table of the database, requests, errors, seconds, finish reasons); :func:`exit_code` is
the exit status of the whole run: the worst of its crawls' (pixivcrawl.extensions.summary), and 3 when something
logged an error that lost nothing.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from pixivcrawl.extensions.summary import EXIT_LOSSES, crawl_outcome, worst

#: one crawl: the spider's name and its ``-a`` arguments
Job = tuple[str, Mapping[str, str]]
#: the width of the summary table
WIDTH = 34


def command_line(spider: str, args: Mapping[str, str]) -> str:
    """``scrapy crawl <spider> -a k=v …``, as the job is announced."""
    return " ".join([f"scrapy crawl {spider}", *(f"-a {k}={v}" for k, v in args.items())])


def project_settings(overrides: Mapping[str, Any]) -> Any:
    """pixivcrawl's project settings (``scrapy.cfg``'s, or ``pixivcrawl.settings``) with ``overrides`` at the
    command line's priority, as ``-s NAME=VALUE`` gives them."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "pixivcrawl.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(dict(overrides), priority="cmdline")
    return settings


def run_crawls(settings: Any, jobs: Sequence[Job], out: TextIO | None = None) -> tuple[list[dict[str, Any]], float]:
    """Run ``jobs`` in one Scrapy process with ``settings`` (Scrapy ``Settings``), announcing each on ``out``
    (stdout by default); each crawl's final stats, in the jobs' order, and the seconds they took together."""
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from pixivcrawl import collector

    out = out or sys.stdout
    collector.pause()  # as `scrapy crawl`: no garbage collection until a spider is opened (pixivcrawl.collector)
    try:
        process = AsyncCrawlerProcess(settings)
        crawlers = []
        for name, kwargs in jobs:
            print(f"  {command_line(name, kwargs)}", file=out, flush=True)
            crawler = process.create_crawler(name)
            crawler.signals.connect(collector.settle, signal=signals.spider_opened)
            crawlers.append(crawler)
            process.crawl(crawler, **kwargs)
        started = time.monotonic()
        process.start()
    finally:
        collector.resume()
    return [c.stats.get_stats() for c in crawlers], time.monotonic() - started


def errors_logged(stats: Sequence[Mapping[str, Any]]) -> int:
    """The ERROR lines the crawls logged, together."""
    return sum(s.get("log_count/ERROR", 0) for s in stats)


def exit_code(stats: Sequence[Mapping[str, Any]]) -> int:
    """The exit status of several crawls from their final stats: the worst of their codes (0, 2 could not
    start, 3 losses), and 3 when they finished but something logged an error that lost nothing."""
    code = worst([crawl_outcome(s).code for s in stats])
    return code if code or errors_logged(stats) == 0 else EXIT_LOSSES


def print_summary(counts: Mapping[str, int], stats: Sequence[Mapping[str, Any]], seconds: float,
                  replica_requests: int | None = None, out: TextIO | None = None) -> None:
    """The closing table: rows per table of the database (``counts``), requests as the crawler counted them (and
    as the replica did, when ``replica_requests`` is given), errors, seconds and finish reasons of the crawls
    whose final ``stats`` are given."""
    out = out or sys.stdout
    requests = sum(s.get("downloader/request_count", 0) for s in stats)
    reasons = sorted({str(s.get("finish_reason", "?")) for s in stats})
    lines = ["", "Summary", "-" * WIDTH, *(f"{table:<22}{n:>12,}" for table, n in counts.items()), "-" * WIDTH,
             f"{'requests (crawler)':<22}{requests:>12,}"]
    if replica_requests is not None:
        lines.append(f"{'requests (replica)':<22}{replica_requests:>12,}")
    lines += [f"{'errors':<22}{errors_logged(stats):>12,}", f"{'seconds':<22}{seconds:>12.1f}",
              f"{'finish reasons':<22}{', '.join(reasons):>12}"]
    print("\n".join(lines), file=out, flush=True)
