"""StatsFileExtension (the crawl's final stats as JSON) and ProgressExtension (one shared progress line)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.extensions import progress
from pixivcrawl.extensions.progress import ProgressExtension, totals
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

@pytest.fixture
def shared_line(monkeypatch):
    """The module's process-wide state, fresh for each test."""
    monkeypatch.setattr(progress, "_crawlers", {})
    monkeypatch.setattr(progress, "_timer", [])
    monkeypatch.setattr(progress, "_started", [0.0])


def test_no_progress_line_unless_asked():
    with pytest.raises(NotConfigured):
        build_from_crawler(ProgressExtension, make_crawler())


def test_totals_add_up_every_crawl():
    crawlers = [make_crawler(), make_crawler()]
    for n, crawler in enumerate(crawlers, start=1):
        crawler.stats.set_value("item_scraped_count", 10 * n)
        crawler.stats.set_value("downloader/request_count", 3 * n)
        crawler.stats.set_value("log_count/ERROR", n)
    assert totals(crawlers) == {"items": 30, "requests": 9, "errors": 3}
    assert totals([make_crawler()]) == {"items": 0, "requests": 0, "errors": 0}


def test_crawls_share_one_line_and_it_is_drawn_at_the_end(shared_line, capsys):
    first, second = make_crawler(PIXIV_PROGRESS=True), make_crawler(PIXIV_PROGRESS=True)
    for crawler in (first, second):
        build_from_crawler(ProgressExtension, crawler)
        crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    name = first.spider.name
    assert list(progress._crawlers) == [name, f"{name}#2"] and len(progress._timer) == 1
    first.stats.set_value("item_scraped_count", 4)
    second.stats.set_value("item_scraped_count", 5)
    second.stats.set_value("downloader/request_count", 7)
    second.stats.set_value("log_count/ERROR", 1)
    timer = progress._timer[0]
    close(first)
    assert progress._timer == [] and not timer.running
    line = capsys.readouterr().err
    assert f"items: {name} 4, {name}#2 5 | requests 7 | errors 1 |" in line
