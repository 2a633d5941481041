"""The spider of bench/request_path.py: ``REQUEST_PATH_IDS`` (comma-separated illust ids) as App API
``/v1/illust/detail`` requests, each answer counted and dropped: no item, no parsing, nothing stored. What a crawl
spends on it is the request path (scheduler, downloader, middlewares, download handler) and the callback's call."""

from __future__ import annotations

import os

import scrapy

from pixivcrawl.endpoints import ILLUST_DETAIL


class RequestPathSpider(scrapy.Spider):
    name = "request_path"
    pixiv_credentials = ("refresh_token",)

    async def start(self):
        for illust_id in filter(None, os.environ.get("REQUEST_PATH_IDS", "").split(",")):
            yield ILLUST_DETAIL.request({"illust_id": illust_id}, callback=self.answered)

    def answered(self, response):
        self.crawler.stats.inc_value("request_path/bytes", len(response.body))
