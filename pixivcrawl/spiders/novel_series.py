"""``novel_series``: every novel of a novel series with its full text, the series and the users.

    scrapy crawl novel_series -a series_id=1000000
    scrapy crawl novel_series -a novel_id=20000001     # finds the novel's series first
    scrapy crawl novel_series -a series_id=https://www.pixiv.net/novel/series/1000000
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pixivcrawl.endpoints import NOVEL_DETAIL, NOVEL_SERIES
from pixivcrawl.parsers.app_api import parse_novel, parse_novel_series_detail

from .params import IncrementalParam, NovelIdParam, NovelSeriesIdParam
from .series import SeriesSpider, SeriesStartParams


class NovelSeriesParams(IncrementalParam, NovelIdParam, NovelSeriesIdParam, SeriesStartParams):
    """``novel_series``'s arguments: where a novel series crawl starts, and whether it is incremental."""


class NovelSeriesSpider(SeriesSpider[NovelSeriesParams]):
    name = "novel_series"
    series_endpoint, series_param = NOVEL_SERIES, "series_id"
    member_endpoint, member_param, member_key = NOVEL_DETAIL, "novel_id", "novel"
    detail_key, list_key, count_key = "novel_series_detail", "novels", "content_count"
    #: novel series list the oldest first: an incremental crawl skips known texts but reads every page
    newest_first = False

    def parse_series_detail(self, obj: Any):
        return parse_novel_series_detail(obj)

    def parse_member_object(self, obj: Any):
        return parse_novel(obj)

    def member_items(self, obj: Any, order: int | None) -> Iterator[Any]:
        yield from self.app_novel_items(obj, order, skip_known=self.skip_known)
