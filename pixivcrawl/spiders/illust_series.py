"""``illust_series``: every work of an illust/manga series, with all pages, tags and users.

    scrapy crawl illust_series -a series_id=10000
    scrapy crawl illust_series -a illust_id=100000018     # finds the work's series first
    scrapy crawl illust_series -a illust_id=https://www.pixiv.net/artworks/100000018
"""

from __future__ import annotations

from .params import IllustIdParam, IllustSeriesIdParam, IncrementalParam
from .series import ILLUST_SERIES_KIND, SeriesSpider, SeriesStartParams


class IllustSeriesParams(IncrementalParam, IllustIdParam, IllustSeriesIdParam, SeriesStartParams):
    """``illust_series``'s arguments: where an illust series crawl starts, and whether it is incremental."""


class IllustSeriesSpider(SeriesSpider[IllustSeriesParams]):
    name = "illust_series"
    series_kind = ILLUST_SERIES_KIND
