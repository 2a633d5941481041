"""What every pixivcrawl spider shares: argument checks, App API requests, JSON and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import orjson
import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from pixivcrawl.hosts import APP_API, WEB
from pixivcrawl.items import IllustItem, NovelItem, UserItem
from pixivcrawl.memory import CrawlMemory
from pixivcrawl.parsers.ajax import AjaxError, ajax_body
from pixivcrawl.parsers.app_api import (
    ParseError,
    app_error_message,
    parse_illust,
    parse_novel,
    parse_ugoira_metadata,
    parse_user,
    parse_webview_novel,
)
from pixivcrawl.parsers.restriction import is_hidden
from pixivcrawl.signature import work_signature

from .arguments import SpiderArgumentError, flag


class PixivSpider(scrapy.Spider):
    #: credentials this spider cannot run without (checked by PixivAuthMiddleware at start)
    pixiv_credentials: tuple[str, ...] = ("refresh_token",)
    #: pixiv answers errors with JSON bodies: let them reach the callbacks, which log the cause
    handle_httpstatus_list: ClassVar[list[int]] = [400, 403, 404]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arguments = {key: str(value) for key, value in kwargs.items()}  # names a shared frontier
        self.argument_error: SpiderArgumentError | None = None
        self._users_seen: set[int] = set()
        try:
            self.parse_arguments(kwargs)
        except SpiderArgumentError as exc:
            self.argument_error = exc

    def parse_arguments(self, kwargs: dict[str, Any]) -> None:
        """Validate ``-a`` arguments; raise SpiderArgumentError with one sentence."""

    async def start(self) -> AsyncIterator[Any]:
        if self.argument_error is not None:
            self.logger.error("%s", self.argument_error)
            self.crawler.stats.set_value("pixiv/errors/bad_argument", str(self.argument_error))
            raise CloseSpider("bad_arguments")
        self.resumed = self._mark_job_started()
        for request in self.start_requests_for_arguments():
            yield request

    def _mark_job_started(self) -> bool:
        """With JOBDIR: True when an earlier run of this job started (and maybe was killed). A resumed crawl
        walks its listings again (cheap) and fetches only what the database does not hold yet: the requests
        and items that were in flight when the earlier run died are not lost."""
        jobdir = self.crawler.settings.get("JOBDIR")
        if not jobdir:
            return False
        marker = Path(jobdir) / "pixivcrawl.started"
        if marker.exists():
            self.logger.info("Resuming the job in %s: known works are not fetched again.", jobdir)
            self.count("job/resumed")
            return True
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("started\n")
        return False

    @property
    def skip_known(self) -> bool:
        """Whether sub-requests (details, texts, ugoira metadata) of stored, unchanged works are skipped."""
        return getattr(self, "incremental", False) or getattr(self, "resumed", False)

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------------

    def app_request(self, path: str, params: dict[str, Any], callback: Callable, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(f"{APP_API}{path}?{urlencode(params)}", callback=callback,
                              errback=self.on_error, **kwargs)

    def web_request(self, path: str, params: dict[str, Any], callback: Callable, **kwargs: Any) -> scrapy.Request:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return scrapy.Request(f"{WEB}{path}?{query}", callback=callback, errback=self.on_error, **kwargs)

    def on_error(self, failure) -> None:
        request = failure.request
        self.logger.error("Request failed for good: %s (%s: %s)", request.url, failure.type.__name__,
                          failure.getErrorMessage())
        self.count("errors/request_failed")

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"pixiv/{key}", n)

    def app_json(self, response: Response, what: str) -> dict | None:
        """The JSON object of an App API response, or None (logged and counted) when it is an error."""
        data = self.web_json(response, what)
        if data is None:
            return None
        message = app_error_message(data)
        if message is not None or response.status != 200:
            self.logger.error("%s: pixiv answered HTTP %s: %s (%s)", what, response.status, message, response.url)
            self.count(f"errors/http_{response.status}")
            return None
        if not isinstance(data, dict):
            self.logger.error("%s: expected a JSON object, got %s (%s)", what, type(data).__name__, response.url)
            self.count("errors/bad_json")
            return None
        return data

    def web_json(self, response: Response, what: str) -> Any:
        """The decoded JSON of a response, or None (logged and counted) when it is not JSON."""
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError:
            self.logger.error("%s: HTTP %s with a body that is not JSON (%d bytes) from %s", what, response.status,
                              len(response.body), response.url)
            self.count("errors/bad_json")
            return None

    def ajax_body(self, response: Response, what: str) -> Any:
        """The body of an Ajax response, or None (logged and counted) for errors and malformed envelopes."""
        data = self.web_json(response, what)
        if data is None:
            return None
        try:
            body = ajax_body(data)
        except AjaxError as exc:
            self.logger.error("%s: pixiv answered HTTP %s with an error: %s (%s)", what, response.status, exc,
                              response.url)
            self.count(f"errors/http_{response.status}")
            return None
        except ParseError as exc:
            self.malformed(what, exc)
            return None
        if response.status != 200:
            self.logger.error("%s: HTTP %s (%s)", what, response.status, response.url)
            self.count(f"errors/http_{response.status}")
            return None
        return body

    def malformed(self, what: str, exc: ParseError) -> None:
        self.logger.warning("Skipped malformed %s: %s", what, exc)
        self.count("errors/malformed")

    def user_once(self, obj: Any) -> Iterator[UserItem]:
        """A UserItem from an App API user object, the first time this user is seen in this run."""
        try:
            user = parse_user(obj)
        except ParseError as exc:
            self.malformed("user", exc)
            return
        yield from self.once(user)

    def once(self, user: UserItem) -> Iterator[UserItem]:
        """``user``, unless this run already yielded it."""
        if user.id not in self._users_seen:
            self._users_seen.add(user.id)
            yield user

    # -- incremental crawls --------------------------------------------------------------------------

    def parse_incremental(self, kwargs: dict[str, Any]) -> None:
        self.incremental = flag("incremental", kwargs.get("incremental", "0"))

    @property
    def incremental_stop(self) -> int:
        return max(1, self.crawler.settings.getint("PIXIV_INCREMENTAL_STOP", 30))

    def known_unchanged(self, item: Any, *, need_full: bool = True) -> bool:
        """In an incremental or resumed crawl: is this work stored already, unchanged (same pages, same
        upload)?"""
        signed = work_signature(item) if self.skip_known else None
        if signed is None:
            return False
        return CrawlMemory.of(self.crawler).known_unchanged(*signed, need_full=need_full)

    # -- hidden works --------------------------------------------------------------------------------

    def hidden_items(self, item: IllustItem | NovelItem, obj: Any) -> Iterator[Any]:
        """What a hidden or placeholder record (``is_hidden(item)``) of any spider yields: the record itself
        and nothing else — no user (pixiv blanks its name), no sub-request (webview text, ugoira metadata,
        detail, download). Stored, it updates only ``visible`` and ``restriction`` of a work the database
        holds (pixivcrawl.db.rows). ``obj`` is the JSON object it was parsed from (App API object, web
        thumbnail or ranking.php entry). Counted under ``pixiv/works/hidden`` and
        ``pixiv/works/hidden/<restriction>``."""
        kind = item.restriction or "hidden"
        self.logger.debug("%s %s is hidden by pixiv (%s): only its visibility is stored", type(item).__name__,
                          item.id, kind)
        self.count("works/hidden")
        self.count(f"works/hidden/{kind}")
        yield item

    # -- full records from the App API, shared by every spider that stores whole works ---------------

    def app_work_items(self, obj: Any, *, skip_known: bool = False) -> Iterator[Any]:
        """A work object of the App API: its user and the work (ugoira after fetching its frame delays,
        unless ``skip_known`` and the work is stored unchanged)."""
        try:
            item = parse_illust(obj)
        except ParseError as exc:
            self.malformed("work", exc)
            return
        yield from self.work_items(item, obj, skip_known=skip_known)

    def work_items(self, item: IllustItem, obj: Any, *, skip_known: bool = False) -> Iterator[Any]:
        """The user and the work of a parsed App API work object ``obj``."""
        if is_hidden(item):
            yield from self.hidden_items(item, obj)
            return
        yield from self.user_once(obj.get("user"))
        if item.type == "ugoira" and not (skip_known and self.known_unchanged(item)):
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

    def parse_app_detail(self, response: Response, work_id: int) -> Iterator[Any]:
        """``/v1/illust/detail`` of one work."""
        data = self.app_json(response, f"illust {work_id}")
        if data is not None:
            yield from self.app_work_items(data.get("illust"))

    def app_novel_items(self, obj: Any, order: int | None = None, *, skip_known: bool = False) -> Iterator[Any]:
        """A novel object of the App API: its user, then the novel once its text is fetched (not fetched
        again when ``skip_known`` and the novel is stored unchanged with its text)."""
        try:
            item = parse_novel(obj)
        except ParseError as exc:
            self.malformed("novel", exc)
            return
        item.series_order = order
        if is_hidden(item):
            yield from self.hidden_items(item, obj)
            return
        yield from self.user_once(obj.get("user"))
        if skip_known and self.known_unchanged(item):
            yield item
            return
        yield self.app_request("/webview/v2/novel", {"id": item.id, "viewer_version": "20221031_ai"},
                               self.parse_novel_text, cb_kwargs={"item": item})

    def parse_novel_text(self, response: Response, item: NovelItem) -> Iterator[NovelItem]:
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

    def parse_app_novel_detail(self, response: Response, novel_id: int) -> Iterator[Any]:
        """``/v2/novel/detail`` of one novel, then its text."""
        data = self.app_json(response, f"novel {novel_id}")
        if data is not None:
            yield from self.app_novel_items(data.get("novel"))
