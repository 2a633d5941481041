"""StatsFileExtension (the crawl's final stats as JSON) and ProgressExtension (a progress line per crawl)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.extensions.progress import ProgressExtension, progress_counts
from pixivcrawl.extensions.stats_file import StatsFileExtension

from .helpers import make_crawler


def close(crawler, reason: str = "finished") -> None:
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason=reason)


# -- the stats file --------------------------------------------------------------------------------------

def test_no_stats_file_without_the_setting():
    with pytest.raises(NotConfigured):
        build_from_crawler(StatsFileExtension, make_crawler(PIXIV_STATS_FILE=""))


@pytest.mark.parametrize("reason", ["finished", "missing_credentials"])
def test_the_stats_file_holds_the_final_stats_and_the_reason(tmp_path, reason):
    path = tmp_path / "deep" / "folder" / "stats.json"
    crawler = make_crawler(PIXIV_STATS_FILE=str(path))
    build_from_crawler(StatsFileExtension, crawler)
    crawler.stats.open_spider()
    crawler.stats.set_value("pixiv/db/items", 12)
    crawler.stats.inc_value("pixiv/ratelimit/paused_seconds", 1.5)
    started = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)  # as CoreStats sets it
    crawler.stats.set_value("start_time", started)
    assert not path.exists()
    close(crawler, reason)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["finish_reason"] == reason
    assert written["pixiv/db/items"] == 12 and written["pixiv/ratelimit/paused_seconds"] == 1.5
    assert written["start_time"] == str(started)  # datetimes as text


# -- the progress line -----------------------------------------------------------------------------------

class Terminal(io.StringIO):
    """A stderr that is a terminal."""

    def isatty(self) -> bool:
        return True


def progress(crawler, stream) -> ProgressExtension:
    extension = ProgressExtension(crawler, stream)
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    return extension


def test_no_progress_line_unless_asked():
    with pytest.raises(NotConfigured):
        build_from_crawler(ProgressExtension, make_crawler())


def test_counts_are_the_crawls_own():
    crawler = make_crawler()
    crawler.stats.set_value("item_scraped_count", 10)
    crawler.stats.set_value("downloader/request_count", 3)
    crawler.stats.set_value("log_count/ERROR", 1)
    assert progress_counts(crawler) == {"items": 10, "requests": 3, "errors": 1}
    assert progress_counts(make_crawler()) == {"items": 0, "requests": 0, "errors": 0}


def test_each_crawl_has_its_own_line_drawn_at_the_end_in_a_log():
    first, second = make_crawler(PIXIV_PROGRESS=True), make_crawler(PIXIV_PROGRESS=True)
    log = io.StringIO()
    extensions = [progress(crawler, log) for crawler in (first, second)]
    assert all(e.bar is None and e._timer.running for e in extensions)  # not a terminal: no bar redrawn in place
    first.stats.set_value("item_scraped_count", 4)
    second.stats.set_value("item_scraped_count", 5)
    second.stats.set_value("downloader/request_count", 7)
    second.stats.set_value("log_count/ERROR", 1)
    timer = extensions[0]._timer
    close(first)
    assert not timer.running and extensions[1]._timer.running  # the other crawl goes on
    name = first.spider.name
    assert log.getvalue().startswith(f"{name}: 4 items [") and log.getvalue().endswith(", requests 0, errors 0]\n")
    close(second)
    assert log.getvalue().splitlines()[1].startswith(f"{name}: 5 items [")
    assert log.getvalue().splitlines()[1].endswith(", requests 7, errors 1]")


def test_on_a_terminal_the_bar_is_redrawn_in_place():
    crawler = make_crawler(PIXIV_PROGRESS=True)
    terminal = Terminal()
    extension = progress(crawler, terminal)
    assert extension.bar is not None
    crawler.stats.set_value("item_scraped_count", 12)
    crawler.stats.set_value("downloader/request_count", 20)
    extension.render()
    close(crawler)
    assert extension.bar is None and extension._timer is None
    drawn = terminal.getvalue()
    assert drawn.startswith("\r") and drawn.endswith("\n") and "\n" not in drawn[:-1]  # one line, redrawn
    assert f"{crawler.spider.name}: 12 items [" in drawn and "requests 20, errors 0]" in drawn
