"""Recovering what the App API hides but the web shows: a mixin of :class:`~pixivcrawl.spiders.base.PixivSpider`.

The App API hides sensitive works from the app (gallery-dl's ``sanity`` option exists for this): it sends
them as placeholders, ``visible: false`` with ``limit_sanity_level`` (or ``limit_unviewable``) image URLs
and blank texts (``restriction`` in :data:`~pixivcrawl.parsers.restriction.RECOVERABLE`). The same account
sees them whole on the web. So, for such a record:

- with ``PIXIV_PHPSESSID`` the work is fetched from the web Ajax API — ``/ajax/illust/{id}``, then
  ``/ajax/illust/{id}/pages``, then for an ugoira ``/ajax/illust/{id}/ugoira_meta``; ``/ajax/novel/{id}``
  for a novel (its text is the body's ``content``) — and the whole record is yielded in place of the
  placeholder (stat ``pixiv/works/recovered``); its files are downloaded like any whole record's. These
  requests go to www.pixiv.net with the cookie and count against the web budget. If the web refuses or
  fails too, the placeholder is yielded (``pixiv/works/recovery_failed``): a hidden record is never lost;
- without the cookie the placeholder is stored as hidden (``pixiv/works/hidden_unrecovered``, one per
  work) and one line at the end of the crawl says how many and which setting would recover them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from pixivcrawl.endpoints import AJAX_ILLUST, AJAX_ILLUST_PAGES, AJAX_NOVEL, AJAX_UGOIRA_META, Endpoint
from pixivcrawl.items import IllustItem, NovelItem
from pixivcrawl.middlewares.auth import PixivAuthMiddleware
from pixivcrawl.parsers.ajax_work import (
    ajax_work_user,
    parse_ajax_illust,
    parse_ajax_novel,
    parse_ajax_ugoira_meta,
)
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.restriction import RECOVERABLE
from pixivcrawl.protocol import WEB

HINT = ("%d work(s) hidden by the App API's sanity filter were stored as hidden; set PIXIV_PHPSESSID and crawl "
        "again to fetch them from the web")


class RecoverHiddenMixin:
    """Needs the spider's ``crawler``, ``count``, ``malformed``, ``on_error``, ``ajax_body``, ``once`` and
    ``keep_hidden`` (PixivSpider's)."""

    _unrecovered_ids: set[tuple[str, int]] | None = None

    def recover_hidden(self, item: IllustItem | NovelItem) -> Iterator[Any]:
        """What to yield for an App API record pixiv hid: requests that fetch the whole work from the web when
        the restriction is one the web lifts and the crawl has a web session; else the record itself."""
        if item.restriction not in RECOVERABLE:
            yield from self.keep_hidden(item)
            return
        if not self.has_web_session:
            self._note_unrecovered(item)
            yield from self.keep_hidden(item)
            return
        if isinstance(item, NovelItem):
            yield self.ajax_work_request(AJAX_NOVEL, self.parse_recovered_novel, hidden=item)
        else:
            yield self.ajax_work_request(AJAX_ILLUST, self.parse_recovered_illust, hidden=item)

    def can_recover(self, item: IllustItem | NovelItem) -> bool:
        """Whether this crawl can fetch ``item``, an App API record pixiv hid, whole from the web: a whole record
        (not a web thumbnail), a restriction the web lifts, and a web session."""
        return item.whole and item.restriction in RECOVERABLE and self.has_web_session

    @property
    def has_web_session(self) -> bool:
        """Whether this crawl has a ``PHPSESSID`` (PixivAuthMiddleware's credentials; False before the engine
        exists, as for a spider driven by hand)."""
        try:
            auth = self.crawler.get_downloader_middleware(PixivAuthMiddleware)
        except RuntimeError:
            return False
        return auth is not None and auth.credentials.phpsessid is not None

    def ajax_work_request(self, endpoint: Endpoint, callback, **cb_kwargs: Any) -> scrapy.Request:
        """A request of ``endpoint``, one of the web Ajax work pages, for the hidden work, with the work's page as
        Referer; the hidden record rides along (``cb_kwargs["hidden"]``) so that a failure can still yield it."""
        hidden = cb_kwargs["hidden"]
        novel = isinstance(hidden, NovelItem)
        page = "novel/show.php?id=" if novel else "artworks/"
        lang = (self.crawler.settings.get("PIXIV_HEADERS_ACCEPT_LANGUAGE") or "en").split("-")[0]
        work_id = {"novel_id" if novel else "illust_id": hidden.id}
        return endpoint.request({"lang": lang}, callback=callback, errback=self.recovery_failed,
                                headers={"Referer": f"{WEB}/{page}{hidden.id}"}, cb_kwargs=cb_kwargs, **work_id)

    # -- illusts, manga, ugoira ----------------------------------------------------------------------

    def parse_recovered_illust(self, response: Response, hidden: IllustItem) -> Iterator[Any]:
        """``/ajax/illust/{id}``: then its pages."""
        body = self.ajax_body(response, f"web page of hidden illust {hidden.id}")
        if body is None or not self._same_work(body, hidden, "illust"):
            yield from self.not_recovered(hidden)
            return
        yield self.ajax_work_request(AJAX_ILLUST_PAGES, self.parse_recovered_pages, hidden=hidden, body=body)

    def parse_recovered_pages(self, response: Response, hidden: IllustItem, body: dict) -> Iterator[Any]:
        """``/ajax/illust/{id}/pages``: then, for an ugoira, its frames; else the whole work."""
        pages = self.ajax_body(response, f"web pages of hidden illust {hidden.id}")
        if pages is None:
            yield from self.not_recovered(hidden)
        elif body.get("illustType") == 2:
            yield self.ajax_work_request(AJAX_UGOIRA_META, self.parse_recovered_ugoira, hidden=hidden, body=body,
                                         pages=pages)
        else:
            yield from self.recovered_illust(hidden, body, pages)

    def parse_recovered_ugoira(self, response: Response, hidden: IllustItem, body: dict, pages: Any
                               ) -> Iterator[Any]:
        """``/ajax/illust/{id}/ugoira_meta``: the whole ugoira (without frames if they cannot be had, as an
        App API ugoira whose metadata failed)."""
        meta = self.ajax_body(response, f"web ugoira metadata of hidden illust {hidden.id}")
        yield from self.recovered_illust(hidden, body, pages, meta)

    def recovered_illust(self, hidden: IllustItem, body: dict, pages: Any, meta: Any = None) -> Iterator[Any]:
        recovered = self.parsed(lambda page: (parse_ajax_illust(page, pages), ajax_work_user(page)), body,
                                f"web page of hidden illust {hidden.id}")
        if recovered is None:
            yield from self.not_recovered(hidden)
            return
        item, user = recovered
        if item.type == "ugoira":
            ugoira = None if meta is None else self.parsed(parse_ajax_ugoira_meta, meta, "web ugoira metadata", item.id)
            if ugoira is not None:
                item.ugoira_zip_url, item.ugoira_frames = ugoira.zip_url, ugoira.frames
            if item.ugoira_frames is None:
                self.count("ugoira/metadata_missing")
        self.count("works/recovered")
        yield from self.once(user)
        yield item

    # -- novels --------------------------------------------------------------------------------------

    def parse_recovered_novel(self, response: Response, hidden: NovelItem) -> Iterator[Any]:
        """``/ajax/novel/{id}``: the whole novel with its text."""
        body = self.ajax_body(response, f"web page of hidden novel {hidden.id}")
        if body is None or not self._same_work(body, hidden, "novel"):
            yield from self.not_recovered(hidden)
            return
        recovered = self.parsed(lambda page: (parse_ajax_novel(page), ajax_work_user(page)), body,
                                f"web page of hidden novel {hidden.id}")
        if recovered is None:
            yield from self.not_recovered(hidden)
            return
        item, user = recovered
        if hidden.series_order is not None:  # the position the series listing gave, as for any member
            item.series_order = hidden.series_order
        self.count("works/recovered")
        yield from self.once(user)
        yield item

    # -- failures ------------------------------------------------------------------------------------

    def _same_work(self, body: Any, hidden: IllustItem | NovelItem, kind: str) -> bool:
        if isinstance(body, dict) and str(body.get("id")) == str(hidden.id):
            return True
        got = body.get("id") if isinstance(body, dict) else type(body).__name__
        self.malformed(f"web page of hidden {kind} {hidden.id}",
                       ParseError(f"its body is not that {kind}: id {str(got)[:20]!r}"))
        return False

    def not_recovered(self, hidden: IllustItem | NovelItem) -> Iterator[Any]:
        """The web refused or failed too (already logged): keep the placeholder record."""
        self.count("works/recovery_failed")
        yield from self.keep_hidden(hidden)

    def recovery_failed(self, failure) -> Iterator[Any]:
        """Errback of the web requests: log and count the failure, then keep the placeholder record."""
        self.on_error(failure)
        hidden = failure.request.cb_kwargs.get("hidden")
        if hidden is not None:
            yield from self.not_recovered(hidden)

    def _note_unrecovered(self, item: IllustItem | NovelItem) -> None:
        if self._unrecovered_ids is None:
            self._unrecovered_ids = set()
        key = ("novel" if isinstance(item, NovelItem) else "illust", item.id)
        if key not in self._unrecovered_ids:
            self._unrecovered_ids.add(key)
            self.count("works/hidden_unrecovered")

    def closed(self, reason: str) -> None:
        """Scrapy's hook when the spider closes (called through its own ``spider_closed`` receiver, connected
        before the extensions', so the hint comes before the crawl's summary line): one hint for the works stored
        hidden that the web would show."""
        if self._unrecovered_ids:
            self.logger.warning(HINT, len(self._unrecovered_ids))
