"""``novel_series``: every novel of a novel series with its full text, the series and the users.

    scrapy crawl novel_series -a series_id=1000000
    scrapy crawl novel_series -a novel_id=20000001     # finds the novel's series first
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from pixivcrawl.items import NovelItem
from pixivcrawl.parsers.app_api import (
    ParseError,
    next_url,
    parse_novel,
    parse_novel_series_detail,
    parse_webview_novel,
)

from .base import PixivSpider, SpiderArgumentError, check_known, positive_int


class NovelSeriesSpider(PixivSpider):
    name = "novel_series"

    def parse_arguments(self, kwargs: dict[str, Any]) -> None:
        check_known(kwargs, ("series_id", "novel_id"))
        self.series_id = positive_int("series_id", kwargs["series_id"]) if "series_id" in kwargs else None
        self.novel_id = positive_int("novel_id", kwargs["novel_id"]) if "novel_id" in kwargs else None
        if (self.series_id is None) == (self.novel_id is None):
            raise SpiderArgumentError("Give exactly one of -a series_id=… or -a novel_id=….")

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        if self.series_id is not None:
            yield self.series_request(self.series_id)
        else:
            yield self.app_request("/v2/novel/detail", {"novel_id": self.novel_id}, self.parse_detail)

    def series_request(self, series_id: int) -> scrapy.Request:
        return self.app_request("/v2/novel/series", {"series_id": series_id}, self.parse_series,
                                cb_kwargs={"first_page": True})

    def parse_detail(self, response: Response) -> Iterator[Any]:
        data = self.app_json(response, f"novel {self.novel_id}")
        if data is None:
            return
        novel = data.get("novel")
        series = novel.get("series") if isinstance(novel, dict) else None
        if not isinstance(series, dict) or not series.get("id"):
            self.logger.warning("Novel %s is not part of a series; storing the novel alone.", self.novel_id)
            self.count("series/not_in_series")
            yield from self.novel_items(novel, order=None)
            return
        yield self.series_request(int(series["id"]))

    def parse_series(self, response: Response, first_page: bool = False, offset: int = 0) -> Iterator[Any]:
        data = self.app_json(response, "novel series page")
        if data is None:
            return
        if first_page:
            detail = data.get("novel_series_detail")
            try:
                yield parse_novel_series_detail(detail)
            except ParseError as exc:
                self.malformed("novel series", exc)
            else:
                yield from self.user_once(detail.get("user"))
        novels = data.get("novels")
        if not isinstance(novels, list):
            self.logger.error("Novel series page without a novels list: %s", response.url)
            self.count("errors/malformed")
            return
        for n, novel in enumerate(novels):
            yield from self.novel_items(novel, order=offset + n + 1)
        try:
            url = next_url(data)
        except ParseError as exc:
            self.malformed("series page", exc)
            return
        if url:
            yield scrapy.Request(url, callback=self.parse_series, errback=self.on_error,
                                 cb_kwargs={"offset": offset + len(novels)})

    def novel_items(self, obj: Any, order: int | None) -> Iterator[Any]:
        try:
            item = parse_novel(obj)
        except ParseError as exc:
            self.malformed("novel", exc)
            return
        item.series_order = order
        yield from self.user_once(obj.get("user"))
        yield self.app_request("/webview/v2/novel", {"id": item.id, "viewer_version": "20221031_ai"},
                               self.parse_text, cb_kwargs={"item": item})

    def parse_text(self, response: Response, item: NovelItem) -> Iterator[NovelItem]:
        if response.status != 200:
            self.app_json(response, f"text of novel {item.id}")  # logs and counts the error
        else:
            try:
                webview = parse_webview_novel(response.text)
            except ParseError as exc:
                self.malformed(f"text of novel {item.id}", exc)
            else:
                item.text = webview.pop("text")
                item.webview_raw = webview
        if item.text is None:
            self.count("novels/text_missing")
        yield item
