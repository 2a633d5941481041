"""``illust_series``: every work of an illust/manga series, with all pages, tags and users.

    scrapy crawl illust_series -a series_id=10000
    scrapy crawl illust_series -a illust_id=100000018     # finds the work's series first
    scrapy crawl illust_series -a illust_id=https://www.pixiv.net/artworks/100000018
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pixivcrawl.endpoints import ILLUST_DETAIL, ILLUST_SERIES
from pixivcrawl.parsers.app_api import parse_illust, parse_illust_series_detail

from .params import IllustIdParam, IllustSeriesIdParam, IncrementalParam
from .series import SeriesSpider, SeriesStartParams


class IllustSeriesParams(IncrementalParam, IllustIdParam, IllustSeriesIdParam, SeriesStartParams):
    """``illust_series``'s arguments: where an illust series crawl starts, and whether it is incremental."""


class IllustSeriesSpider(SeriesSpider[IllustSeriesParams]):
    name = "illust_series"
    series_endpoint, series_param = ILLUST_SERIES, "illust_series_id"
    member_endpoint, member_param, member_key = ILLUST_DETAIL, "illust_id", "illust"
    detail_key, list_key, count_key = "illust_series_detail", "illusts", "series_work_count"

    def parse_series_detail(self, obj: Any):
        return parse_illust_series_detail(obj)

    def parse_member_object(self, obj: Any):
        return parse_illust(obj)

    def member_items(self, obj: Any, order: int | None) -> Iterator[Any]:
        yield from self.app_work_items(obj, skip_known=self.skip_known)
