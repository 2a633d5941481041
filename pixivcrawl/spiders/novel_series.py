"""``novel_series``: every novel of a novel series with its full text, the series and the users.

    scrapy crawl novel_series -a series_id=1000000
    scrapy crawl novel_series -a novel_id=20000001     # finds the novel's series first
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from pixivcrawl.items import NovelItem
from pixivcrawl.parsers.app_api import ParseError, parse_novel, parse_novel_series_detail, parse_webview_novel

from .series import SeriesSpider


class NovelSeriesSpider(SeriesSpider):
    name = "novel_series"
    member_arg = "novel_id"
    series_path, series_param = "/v2/novel/series", "series_id"
    member_path, member_param, member_key = "/v2/novel/detail", "novel_id", "novel"
    detail_key, list_key = "novel_series_detail", "novels"

    def parse_series_detail(self, obj: Any):
        return parse_novel_series_detail(obj)

    def member_items(self, obj: Any, order: int | None) -> Iterator[Any]:
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
