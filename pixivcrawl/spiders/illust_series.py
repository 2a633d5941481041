"""``illust_series``: every work of an illust/manga series, with all pages, tags and users.

    scrapy crawl illust_series -a series_id=10000
    scrapy crawl illust_series -a illust_id=100000018     # finds the work's series first
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from pixivcrawl.items import IllustItem
from pixivcrawl.parsers.app_api import (
    ParseError,
    parse_illust,
    parse_illust_series_detail,
    parse_ugoira_metadata,
)

from .series import SeriesSpider


class IllustSeriesSpider(SeriesSpider):
    name = "illust_series"
    member_arg = "illust_id"
    series_path, series_param = "/v1/illust/series", "illust_series_id"
    member_path, member_param, member_key = "/v1/illust/detail", "illust_id", "illust"
    detail_key, list_key = "illust_series_detail", "illusts"

    def parse_series_detail(self, obj: Any):
        return parse_illust_series_detail(obj)

    def member_items(self, obj: Any, order: int | None) -> Iterator[Any]:
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
