"""Whole records from the App API: a mixin of :class:`~pixivcrawl.spiders.base.PixivSpider`.

Every spider that stores whole works (search with ``details``, ranking, the series spiders) expands an App API
work object the same way:

- an illust or manga: its user and the work;
- an ugoira: its user, then ``/v1/ugoira/metadata`` for the zip and frame delays (the work is yielded from
  :meth:`~AppWorksMixin.parse_ugoira`);
- a novel: its user, then ``/webview/v2/novel`` for the text (:meth:`~AppWorksMixin.parse_novel_text`);
- a hidden or placeholder record: :meth:`~pixivcrawl.spiders.base.PixivSpider.hidden_items` (recovered from the
  web, or stored as hidden).

A work this run handled already costs nothing more (``first_sight``); in an incremental or resumed crawl a work
stored unchanged is yielded without its sub-request (``stored_whole``: its stored frames or text stay). A
sub-request that fails leaves the record in hand stored as incomplete (``keep_record_on_error``). The detail
callbacks ``/v1/illust/detail`` and ``/v2/novel/detail`` fall back to the listing record in hand the same way.
Stats: those of the base class (``pixiv/errors/malformed``, ``pixiv/works/incomplete/<what>``, …).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from scrapy.http import Response

from pixivcrawl.endpoints import NOVEL_TEXT, UGOIRA_METADATA
from pixivcrawl.items import IllustItem, NovelItem, UserItem
from pixivcrawl.parsers.app_api import (
    parse_illust,
    parse_novel,
    parse_ugoira_metadata,
    parse_webview_novel,
)
from pixivcrawl.parsers.restriction import is_hidden


class AppWorksMixin:
    """Needs the spider's ``request``, ``app_json``, ``parsed``, ``user_once``, ``first_sight``, ``known_unchanged``,
    ``hidden_items``, ``record_in_hand`` and ``keep_record_on_error`` (PixivSpider's)."""

    # -- illusts, manga and ugoira ------------------------------------------------------------------

    def app_work_items(self, obj: Any, *, skip_known: bool = False) -> Iterator[Any]:
        """A work object of the App API: its user and the work (ugoira after fetching its frame delays,
        unless ``skip_known`` and the work is stored unchanged)."""
        item = self.parsed(parse_illust, obj, "work")
        if item is not None:
            yield from self.work_items(item, obj, skip_known=skip_known)

    def work_items(self, item: IllustItem, obj: Any, *, skip_known: bool = False) -> Iterator[Any]:
        """The user and the work of a parsed App API work object ``obj`` (nothing for a work this run handled)."""
        if not self.first_sight("illust", item.id):
            return
        if is_hidden(item):
            yield from self.hidden_items(item, obj)
            return
        yield from self.user_once(obj.get("user"))
        if item.type != "ugoira":
            yield item
        elif skip_known and self.known_unchanged(item):
            item.stored_whole = True  # the stored frames stay
            yield item
        else:
            yield self.request(UGOIRA_METADATA, {"illust_id": item.id}, self.parse_ugoira,
                               errback=self.keep_record_on_error, cb_kwargs={"item": item})

    def parse_ugoira(self, response: Response, item: IllustItem) -> Iterator[IllustItem]:
        """``/v1/ugoira/metadata``: the ugoira with its zip URL and frames, or without them (stored as incomplete)
        when pixiv answered with an error or a malformed object."""
        data = self.app_json(response, f"ugoira metadata of {item.id}")
        if data is not None:
            ugoira = self.parsed(parse_ugoira_metadata, data, "ugoira metadata", item.id)
            if ugoira is not None:
                item.ugoira_zip_url, item.ugoira_frames = ugoira.zip_url, ugoira.frames
        yield from self.record_in_hand(item)

    def parse_app_detail(self, response: Response, work_id: int, item: IllustItem | None = None,
                         user: UserItem | None = None) -> Iterator[Any]:
        """``/v1/illust/detail`` of one work; when pixiv answers with an error or a malformed work, the listing
        record in hand (``item``, with its ``user``) is stored instead."""
        yield from self._detail_or_record(response, f"illust {work_id}", "illust", parse_illust, self.work_items,
                                          item, user)

    def _detail_or_record(self, response: Response, what: str, key: str, parse: Callable, then: Callable,
                          item: Any, user: UserItem | None) -> Iterator[Any]:
        """The whole record ``parse(data[key])`` of a detail answer, passed to ``then(record, object)``; or,
        when pixiv answered with an error or a malformed object, the record in hand."""
        data = self.app_json(response, what)
        whole = None if data is None else self.parsed(parse, data.get(key), key)
        if whole is None:
            yield from self.record_in_hand(item, user)
        else:
            yield from then(whole, data[key])

    # -- novels -------------------------------------------------------------------------------------

    def app_novel_items(self, obj: Any, order: int | None = None, *, skip_known: bool = False) -> Iterator[Any]:
        """A novel object of the App API: its user, then the novel once its text is fetched (not fetched
        again when ``skip_known`` and the novel is stored unchanged with its text)."""
        item = self.parsed(parse_novel, obj, "novel")
        if item is not None:
            item.series_order = order
            yield from self.novel_items(item, obj, skip_known=skip_known)

    def novel_items(self, item: NovelItem, obj: Any, *, skip_known: bool = False) -> Iterator[Any]:
        """The user and the novel of a parsed App API novel object ``obj`` (nothing for a novel this run
        handled)."""
        if not self.first_sight("novel", item.id):
            return
        if is_hidden(item):
            yield from self.hidden_items(item, obj)
            return
        yield from self.user_once(obj.get("user"))
        if skip_known and self.known_unchanged(item):
            item.stored_whole = True  # the stored text stays
            yield item
            return
        yield self.request(NOVEL_TEXT, {"id": item.id, "viewer_version": "20221031_ai"},
                           self.parse_novel_text, errback=self.keep_record_on_error, cb_kwargs={"item": item})

    def parse_novel_text(self, response: Response, item: NovelItem) -> Iterator[NovelItem]:
        """``/webview/v2/novel``: the novel with its text, or without it (stored as incomplete) when pixiv
        answered with an error or a malformed page."""
        if response.status != 200:
            self.app_json(response, f"text of novel {item.id}")  # logs and counts the error
        else:
            webview = self.parsed(parse_webview_novel, response.text, f"text of novel {item.id}")
            if webview is not None:
                item.text = webview.text
                item.webview_raw = webview.raw
        yield from self.record_in_hand(item)

    def parse_app_novel_detail(self, response: Response, novel_id: int, item: NovelItem | None = None,
                               user: UserItem | None = None) -> Iterator[Any]:
        """``/v2/novel/detail`` of one novel, then its text; when pixiv answers with an error or a malformed
        novel, the listing record in hand (``item``, with its ``user``) is stored instead."""
        yield from self._detail_or_record(response, f"novel {novel_id}", "novel", parse_novel, self.novel_items,
                                          item, user)
