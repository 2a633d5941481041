"""``novel_series``: every novel of a novel series with its full text, the series and the users.

    scrapy crawl novel_series -a series_id=1000000
    scrapy crawl novel_series -a novel_id=20000001     # finds the novel's series first
    scrapy crawl novel_series -a series_id=https://www.pixiv.net/novel/series/1000000
"""

from __future__ import annotations

from .params import IncrementalParam, NovelIdParam, NovelSeriesIdParam
from .series import NOVEL_SERIES_KIND, SeriesSpider, SeriesStartParams


class NovelSeriesParams(IncrementalParam, NovelIdParam, NovelSeriesIdParam, SeriesStartParams):
    """``novel_series``'s arguments: where a novel series crawl starts, and whether it is incremental."""


class NovelSeriesSpider(SeriesSpider[NovelSeriesParams]):
    name = "novel_series"
    #: novel series list the oldest first: an incremental crawl skips known texts but reads every page
    series_kind = NOVEL_SERIES_KIND
