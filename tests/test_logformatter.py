"""pixivcrawl.logformatter: Scrapy's per-item and per-response messages, only at or above LOG_LEVEL."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from scrapy.http import Request, Response

from pixivcrawl.items import RankingItem
from pixivcrawl.logformatter import LevelLogFormatter
from pixivcrawl.spiders.base import PixivSpider
from tests.components.helpers import make_crawler


def _messages(level: str) -> dict:
    crawler = make_crawler(LOG_LEVEL=level)
    formatter = LevelLogFormatter.from_crawler(crawler)
    request = Request("https://app-api.pixiv.net/v1/illust/ranking")
    response = Response(request.url, request=request)
    item = RankingItem(source="app", mode="day", content="illust", date="2025-06-30", rank=1, work_type="illust",
                       work_id=1, previous_rank=None, view_count=1, rating_count=1, raw={})
    return {"crawled": formatter.crawled(request, response, crawler.spider),
            "scraped": formatter.scraped(item, response, crawler.spider),
            "dropped_debug": formatter.dropped(item, DropItem("x", log_level="DEBUG"), response, crawler.spider),
            "dropped_warning": formatter.dropped(item, DropItem("x", log_level="WARNING"), response,
                                                 crawler.spider)}


def test_below_the_log_level_scrapys_messages_are_not_made():
    messages = _messages("INFO")
    assert messages["crawled"] is None and messages["scraped"] is None and messages["dropped_debug"] is None
    assert messages["dropped_warning"]["level"] == logging.WARNING


def test_at_debug_every_message_is_made_as_scrapy_makes_it():
    messages = _messages("DEBUG")
    assert messages["crawled"]["level"] == messages["scraped"]["level"] == logging.DEBUG
    assert "Scraped from" in messages["scraped"]["msg"]
    assert messages["dropped_debug"]["level"] == logging.DEBUG


def test_the_project_uses_it_and_a_project_of_its_own_may_replace_it():
    assert make_crawler(LOG_LEVEL="INFO").settings["LOG_FORMATTER"] == "pixivcrawl.logformatter.LevelLogFormatter"
    # a settings module of the user's (project priority) or -s wins: the spiders do not force it
    assert "LOG_FORMATTER" not in (PixivSpider.custom_settings or {})
    assert make_crawler(LOG_FORMATTER="scrapy.logformatter.LogFormatter").settings["LOG_FORMATTER"] == (
        "scrapy.logformatter.LogFormatter")
