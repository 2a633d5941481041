"""How a crawl went, in one line and one exit code.

:func:`crawl_outcome` reads a crawl's final stats and its finish reason and says whether it did its job:

- ``0`` (EXIT_OK): it finished and lost nothing;
- ``2`` (EXIT_NOT_STARTED): it could not start — bad ``-a`` arguments, missing credentials, a configuration or
  storage that is unusable at start (``start_failed``), or pixiv refused or could not give an access token, or
  blocked the crawl, before anything was stored (``auth_failed``, ``auth_unavailable``, ``blocked``,
  ``rate_limited``). The same code as Scrapy's (argparse's) own usage errors, such as an unknown option;
- ``3`` (EXIT_LOSSES): it ran but did not finish its job whole — it finished with losses, or it was stopped
  partway (``shutdown`` by SIGTERM/SIGINT, ``storage_failed``, ``frontier_lost``, or one of the reasons above
  after something was stored).

Exit code ``1`` stays Scrapy's: the process crashed (a traceback says where). The ``crawl`` command of
pixivcrawl.commands sets the process exit code from it; ``pixivcrawl demo`` returns the worst of its crawls'.

What is lost (counted in ``lost``): requests that failed for good (``pixiv/errors/request_failed``), files that
failed (``pixiv/media/failed``), items the database refused (``pixiv/db/failed_items``,
``pixiv/db/unstorable_items``) and requests skipped for a rate limit (``pixiv/ratelimit/skipped_requests``). The
causes are the ``pixiv/errors/<cause>`` counts (request failures by cause, blocked answers, pixiv's error answers,
malformed objects); any of them makes a finished crawl one "with losses" too.

:class:`SummaryExtension` logs every crawl's last line, at INFO (the one sentence that said what went wrong is
the crawl's ERROR line; the summary adds none)::

    Crawl summary: finished with losses (finish_reason finished, exit code 3): works new 10, updated 0,
    unchanged 0, hidden 0, incomplete 2; lost 2 (http_503 2)

and records the outcome in the stats as ``pixiv/outcome`` (``finished``, ``finished with losses``, ``could not
start``, ``stopped with losses``) and ``pixiv/exit_code``, so ``PIXIV_STATS_FILE`` and the stats dump in the
log (scrapyd's job log) say it too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CRASHED = 1  # Scrapy's own: an exception escaped (bootstrap failed)
EXIT_NOT_STARTED = 2
EXIT_LOSSES = 3

#: finish reasons of a crawl that could not start, whatever it stored
NOT_STARTED = frozenset({"bad_arguments", "missing_credentials", "start_failed"})
#: finish reasons of a crawl pixiv stopped: "could not start" when nothing was stored yet, else stopped with losses
STOPPED_BY_PIXIV = frozenset({"auth_failed", "auth_unavailable", "blocked", "rate_limited"})

#: (stats key, how the summary names it) of what a crawl loses besides the requests that failed for good
_LOST = (
    ("pixiv/media/failed", "files failed"),
    ("pixiv/db/failed_items", "refused by the database"),
    ("pixiv/db/unstorable_items", "not storable"),
    ("pixiv/ratelimit/skipped_requests", "skipped for a rate limit"),
)
#: pixiv/errors/<key> that are totals or no loss of a running crawl
_NOT_CAUSES = frozenset({"request_failed", "bad_argument"})


@dataclass
class Outcome:
    """A crawl's result: its finish ``reason``, exit ``code``, a ``label`` ("finished", "finished with
    losses", "could not start", "stopped with losses"), the works per state (``works``: new, updated,
    unchanged, hidden, incomplete), how much was ``lost`` and the ``causes`` (name → count)."""

    reason: str
    code: int
    label: str
    works: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    causes: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """The summary line (see the module docstring)."""
        works = ", ".join(f"{name} {n}" for name, n in self.works.items())
        causes = ", ".join(f"{name} {n}" for name, n in self.causes.items())
        return (f"Crawl summary: {self.label} (finish_reason {self.reason}, exit code {self.code}): works {works}; "
                f"lost {self.lost}" + (f" ({causes})" if causes else ""))


def crawl_outcome(stats: Mapping[str, Any], reason: str | None = None) -> Outcome:
    """The outcome of a crawl from its final ``stats`` (a StatsCollector's dict) and finish ``reason`` (default:
    ``stats["finish_reason"]``; none at all counts as a crawl that could not start)."""
    reason = reason or str(stats.get("finish_reason") or "start_failed")

    def n(key: str) -> int:
        value = stats.get(key, 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    works = {state: n(f"pixiv/items/{state}") for state in ("new", "updated", "unchanged", "hidden")}
    works["incomplete"] = n("pixiv/works/incomplete")
    causes = {key.removeprefix("pixiv/errors/"): n(key) for key in sorted(stats)
              if key.startswith("pixiv/errors/") and key.removeprefix("pixiv/errors/") not in _NOT_CAUSES and n(key)}
    lost = n("pixiv/errors/request_failed")
    for key, name in _LOST:
        if n(key):
            causes[name] = n(key)
            lost += n(key)
    stored = sum(works.values()) > 0 or n("item_scraped_count") > 0
    if reason in NOT_STARTED or (reason in STOPPED_BY_PIXIV and not stored):
        code, label = EXIT_NOT_STARTED, "could not start"
    elif reason == "finished" or reason.startswith("closespider_"):  # CLOSESPIDER_* limits are what was asked
        code, label = (EXIT_LOSSES, "finished with losses") if lost or causes else (EXIT_OK, "finished")
    else:  # shutdown, storage_failed, frontier_lost, a stop by pixiv partway, any other reason
        code, label = EXIT_LOSSES, "stopped with losses"
    return Outcome(reason, code, label, works, lost, causes)


def worst(codes: list[int]) -> int:
    """The exit code of several crawls: a crash, else a crawl that could not start, else losses, else 0."""
    for code in (EXIT_CRASHED, EXIT_NOT_STARTED, EXIT_LOSSES):
        if code in codes:
            return code
    return EXIT_OK


class SummaryExtension:
    """Logs the summary line of every crawl when its spider closes and records ``pixiv/outcome`` and
    ``pixiv/exit_code`` in the stats. Always on (it costs nothing); Scrapy's ``EXTENSIONS`` can switch it off."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        outcome = crawl_outcome(stats.get_stats(), reason)
        stats.set_value("pixiv/outcome", outcome.label)
        stats.set_value("pixiv/exit_code", outcome.code)
        logger.info("%s", outcome.line())
