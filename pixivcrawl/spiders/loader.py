"""The spider loader (``SPIDER_LOADER_CLASS``): pixivcrawl's spiders are imported when they are loaded by name.

Scrapy's :class:`~scrapy.spiderloader.SpiderLoader` imports every module of ``SPIDER_MODULES`` to learn the
spiders' names, so a crawl of one spider imports all of them (their argument models, parsers and endpoints). This
loader knows pixivcrawl's spiders by name (:data:`SPIDERS`, checked against the modules by
tests/test_spider_loader.py) and imports a spider's module when that spider is loaded; other packages in
``SPIDER_MODULES`` (a project's own spiders) are walked as Scrapy walks them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from scrapy.spiderloader import SpiderLoader

if TYPE_CHECKING:
    from scrapy import Request, Spider

#: the package of pixivcrawl's spiders, as ``SPIDER_MODULES`` names it
PACKAGE = "pixivcrawl.spiders"

#: spider name -> "module:class" of each of pixivcrawl's spiders
SPIDERS = {
    "bookmarks": "pixivcrawl.spiders.bookmarks:BookmarksSpider",
    "commission": "pixivcrawl.spiders.commission:CommissionSpider",
    "feed": "pixivcrawl.spiders.feed:FeedSpider",
    "following": "pixivcrawl.spiders.following:FollowingSpider",
    "illust_series": "pixivcrawl.spiders.illust_series:IllustSeriesSpider",
    "novel_series": "pixivcrawl.spiders.novel_series:NovelSeriesSpider",
    "ranking": "pixivcrawl.spiders.ranking:RankingSpider",
    "search": "pixivcrawl.spiders.search:SearchSpider",
    "user": "pixivcrawl.spiders.user:UserSpider",
    "work": "pixivcrawl.spiders.work:WorkSpider",
}


class PixivSpiderLoader(SpiderLoader):
    """Scrapy's loader, but for :data:`PACKAGE`, whose spiders are known by name and imported on :meth:`load`."""

    def _load_all_spiders(self) -> None:
        self._lazy: dict[str, str] = {}
        if PACKAGE in self.spider_modules:
            self._lazy = dict(SPIDERS)
            for name, where in SPIDERS.items():
                module, cls = where.split(":")
                self._found[name].append((module, cls))
        walked = self.spider_modules
        self.spider_modules = [m for m in walked if m != PACKAGE]
        try:
            super()._load_all_spiders()  # a project's own packages; a spider of theirs replaces ours of its name
        finally:
            self.spider_modules = walked
        for name in self._spiders:
            self._lazy.pop(name, None)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name not in self._spiders and spider_name in self._lazy:
            module, cls = self._lazy.pop(spider_name).split(":")
            self._spiders[spider_name] = getattr(importlib.import_module(module), cls)
        return super().load(spider_name)

    def list(self) -> list[str]:
        return sorted({*self._spiders, *self._lazy})

    def find_by_request(self, request: Request) -> list[str]:
        for name in list(self._lazy):
            self.load(name)
        return super().find_by_request(request)
