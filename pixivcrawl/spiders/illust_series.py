"""``illust_series``: every work of an illust/manga series, with all pages, tags and users.

    scrapy crawl illust_series -a series_id=10000
    scrapy crawl illust_series -a illust_id=100000018     # finds the work's series first
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from pixivcrawl.items import IllustItem
from pixivcrawl.parsers.app_api import (
    ParseError,
    next_url,
    parse_illust,
    parse_illust_series_detail,
    parse_ugoira_metadata,
)

from .base import PixivSpider, SpiderArgumentError, check_known, positive_int


class IllustSeriesSpider(PixivSpider):
    name = "illust_series"

    def parse_arguments(self, kwargs: dict[str, Any]) -> None:
        check_known(kwargs, ("series_id", "illust_id"))
        self.series_id = positive_int("series_id", kwargs["series_id"]) if "series_id" in kwargs else None
        self.illust_id = positive_int("illust_id", kwargs["illust_id"]) if "illust_id" in kwargs else None
        if (self.series_id is None) == (self.illust_id is None):
            raise SpiderArgumentError("Give exactly one of -a series_id=… or -a illust_id=….")

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        if self.series_id is not None:
            yield self.series_request(self.series_id)
        else:
            yield self.app_request("/v1/illust/detail", {"illust_id": self.illust_id}, self.parse_detail)

    def series_request(self, series_id: int) -> scrapy.Request:
        return self.app_request("/v1/illust/series", {"illust_series_id": series_id, "filter": "for_ios"},
                                self.parse_series, cb_kwargs={"first_page": True})

    def parse_detail(self, response: Response) -> Iterator[Any]:
        data = self.app_json(response, f"illust {self.illust_id}")
        if data is None:
            return
        illust = data.get("illust")
        yield from self.work_items(illust)
        series = illust.get("series") if isinstance(illust, dict) else None
        if not isinstance(series, dict) or not series.get("id"):
            self.logger.warning("Work %s is not part of a series; stored the work alone.", self.illust_id)
            self.count("series/not_in_series")
            return
        yield self.series_request(int(series["id"]))

    def parse_series(self, response: Response, first_page: bool = False) -> Iterator[Any]:
        data = self.app_json(response, "illust series page")
        if data is None:
            return
        if first_page:
            detail = data.get("illust_series_detail")
            try:
                yield parse_illust_series_detail(detail)
            except ParseError as exc:
                self.malformed("illust series", exc)
            else:
                yield from self.user_once(detail.get("user"))
        illusts = data.get("illusts")
        if not isinstance(illusts, list):
            self.logger.error("Illust series page without an illusts list: %s", response.url)
            self.count("errors/malformed")
            return
        for illust in illusts:
            yield from self.work_items(illust)
        try:
            url = next_url(data)
        except ParseError as exc:
            self.malformed("series page", exc)
            return
        if url:
            yield scrapy.Request(url, callback=self.parse_series, errback=self.on_error)

    def work_items(self, obj: Any) -> Iterator[Any]:
        try:
            item = parse_illust(obj)
        except ParseError as exc:
            self.malformed("work", exc)
            return
        yield from self.user_once(obj.get("user"))
        if item.type == "ugoira":
            yield self.app_request("/v1/ugoira/metadata", {"illust_id": item.id}, self.parse_ugoira,
                                   cb_kwargs={"item": item})
        else:
            yield item

    def parse_ugoira(self, response: Response, item: IllustItem) -> Iterator[IllustItem]:
        data = self.app_json(response, f"ugoira metadata of {item.id}")
        if data is not None:
            try:
                item.ugoira_zip_url, item.ugoira_frames = parse_ugoira_metadata(data, item.id)
            except ParseError as exc:
                self.malformed("ugoira metadata", exc)
        if item.ugoira_frames is None:
            self.count("ugoira/metadata_missing")
        yield item
