"""What every pixivcrawl spider shares: declared arguments, requests built from the endpoint catalogue, JSON and
error handling, incremental and resumed crawls, and hidden records.

Two mixins add the rest of :class:`PixivSpider`: the App API's whole-record expansion (a work and its user, an
ugoira's frames, a novel's text: pixivcrawl.spiders.app_works) and the recovery of hidden works from the web
(pixivcrawl.spiders.recover). Settings: ``JOBDIR`` (a resumed job skips stored works),
``PIXIV_INCREMENTAL_STOP``. Stats: ``pixiv/errors/*`` (``bad_argument``, ``request_failed``, ``<cause>``,
``http_<status>``, ``bad_json``, ``malformed``), ``pixiv/works/incomplete[/<what>]``, ``pixiv/works/hidden[/<why>]``,
``pixiv/job/resumed``, ``pixiv/incremental/known_recovered``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import orjson
import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from pixivcrawl import collector
from pixivcrawl.db.memory import CrawlMemory, crawl_memory
from pixivcrawl.endpoints import Endpoint
from pixivcrawl.exceptions import GivenUp
from pixivcrawl.items import IllustItem, NovelItem, UserItem
from pixivcrawl.parsers.ajax import AjaxError, ajax_body
from pixivcrawl.parsers.app_api import ParseError, app_error_message, parse_user
from pixivcrawl.parsers.restriction import is_hidden
from pixivcrawl.signature import work_signature

from .app_works import AppWorksMixin
from .arguments import ParamsT, SpiderArguments
from .recover import RecoverHiddenMixin

T = TypeVar("T")


class PixivSpider(AppWorksMixin, RecoverHiddenMixin, SpiderArguments[ParamsT], scrapy.Spider):
    """A pixivcrawl spider; ``class SearchSpider(PixivSpider[SearchParams])`` declares its ``-a`` arguments
    (:class:`~pixivcrawl.spiders.arguments.SpiderArguments`). A wrong one is logged at :meth:`start`, with
    ``pixiv/errors/bad_argument``, and closes the spider (``bad_arguments``)."""

    #: pixiv answers errors with JSON bodies: let them reach the callbacks, which log the cause
    handle_httpstatus_list: ClassVar[list[int]] = [400, 403, 404]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        scrapy.Spider.__init__(self, *args, **kwargs)  # not Args.__init__: see SpiderArguments
        self._users_seen: set[int] = set()
        #: App API works this run already handled: a work met again (the start work of a series in its own
        #: listing, a work ranked on several days) costs no second ugoira, text or web request
        self._works_handled: set[tuple[str, int]] = set()
        self.accept_arguments(kwargs)

    async def start(self) -> AsyncIterator[Any]:
        if self.argument_error is not None:
            self.logger.error("%s", self.argument_error)
            self.crawler.stats.set_value("pixiv/errors/bad_argument", str(self.argument_error))
            raise CloseSpider("bad_arguments")
        self.resumed = self._mark_job_started()
        collector.settle()  # the start-up heap is built: out of the collector's way (pixivcrawl.collector)
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

    def request(self, endpoint: Endpoint, params: dict[str, Any] | None, callback: Callable,
                errback: Callable | None = None, **kwargs: Any) -> scrapy.Request:
        """A request of ``endpoint`` (pixivcrawl.endpoints) with query ``params`` (None values left out); path
        variables (``illust_id=…``) and ``scrapy.Request`` arguments go in ``kwargs``; errback :meth:`on_error`
        unless given."""
        return endpoint.request(params, callback=callback, errback=errback or self.on_error, **kwargs)

    def on_error(self, failure) -> None:
        """Errback of every request: logs the request that failed for good (after its last retry) with its
        cause, and counts it under ``pixiv/errors/request_failed`` and ``pixiv/errors/<cause>``."""
        self.count("errors/request_failed")
        if failure.check(GivenUp):  # its cause was logged once where it was given up (a blocked answer, no token)
            return
        cause, key = failure_cause(failure)
        self.logger.error("Request failed for good: %s (%s)", failure.request.url, cause)
        self.count(f"errors/{key}")

    def keep_record_on_error(self, failure) -> Iterator[Any]:
        """Errback of a request that completes a record in hand, ``cb_kwargs["item"]`` (a listing record
        waiting for its ``/v1/illust/detail`` or ``/v2/novel/detail``, an ugoira for its ``/v1/ugoira/metadata``,
        a novel for its ``/webview/v2/novel``): logs and counts the failure as :meth:`on_error`, then yields the
        record as it is (and the listing's user, ``cb_kwargs["user"]``), to be stored as incomplete."""
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs
        yield from self.record_in_hand(kwargs.get("item"), kwargs.get("user"))

    def record_in_hand(self, item: IllustItem | NovelItem | None, user: UserItem | None = None) -> Iterator[Any]:
        """``user`` (a listing's user, unless this run yielded a user record of that id) and ``item``, whatever
        its completing request gave. A record that still lacks something (``item.missing()``: ``listing``,
        ``ugoira_frames``, ``text``) is stored with that in its ``incomplete`` column, never over what the
        database holds, and completed by the next crawl that meets it; it is logged and counted under
        ``pixiv/works/incomplete`` and ``pixiv/works/incomplete/<what it lacks>``."""
        if item is None:
            return
        if user is not None and user.id not in self._users_seen:
            yield user  # not marked as seen: a whole user record of the App API still passes later
        missing = item.missing()
        if missing is not None:
            self.logger.warning("Storing %s %s without its %s; the next crawl that meets it completes it.",
                                "novel" if isinstance(item, NovelItem) else item.type, item.id,
                                {"listing": "whole record", "ugoira_frames": "ugoira frames"}.get(missing, missing))
            self.count("works/incomplete")
            self.count(f"works/incomplete/{missing}")
        yield item

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
        """Log ``Skipped malformed <what>: <why>`` (a warning) and count it under ``pixiv/errors/malformed``."""
        self.logger.warning("Skipped malformed %s: %s", what, exc)
        self.count("errors/malformed")

    def parsed(self, parse: Callable[..., T], obj: Any, what: str, *args: Any) -> T | None:
        """``parse(obj, *args)`` (a parser of pixivcrawl.parsers), or None when it raises ParseError: then the
        object is skipped as :meth:`malformed` ``what``. (None also when ``parse`` itself returns None, as
        ``next_url`` does on a last page.)"""
        try:
            return parse(obj, *args)
        except ParseError as exc:
            self.malformed(what, exc)
            return None

    def user_once(self, obj: Any) -> Iterator[UserItem]:
        """A UserItem from an App API user object, the first time this user is seen in this run."""
        user = self.parsed(parse_user, obj, "user")
        if user is not None:
            yield from self.once(user)

    def once(self, user: UserItem) -> Iterator[UserItem]:
        """``user``, unless this run already yielded it."""
        if user.id not in self._users_seen:
            self._users_seen.add(user.id)
            yield user

    # -- incremental crawls --------------------------------------------------------------------------

    @property
    def incremental_stop(self) -> int:
        return max(1, self.crawler.settings.getint("PIXIV_INCREMENTAL_STOP", 30))

    @property
    def memory(self) -> CrawlMemory:
        """The crawl memory (pixivcrawl.db.memory): the works and files earlier runs stored."""
        return crawl_memory(self.crawler)

    def known_unchanged(self, item: Any, *, need_whole: bool = True) -> bool:
        """In an incremental or resumed crawl: is this work stored already, unchanged (same pages, same
        upload)?"""
        if not self.skip_known:
            return False
        if is_hidden(item):
            return self.known_hidden(item)
        signed = work_signature(item)
        if signed is None:
            return False
        return self.memory.known_unchanged(*signed, need_whole=need_whole)

    def known_hidden(self, item: IllustItem | NovelItem) -> bool:
        """Whether a hidden record stands for a work the database holds with nothing more to gain: stored whole
        and shown (recovered from the web earlier, or stored before pixiv hid it), or stored as pixiv's stand-in
        that this crawl cannot recover (see :meth:`can_recover`)."""
        memory = self.memory
        kind = "novel" if isinstance(item, NovelItem) else "illust"
        if not memory.stored(kind, item.id):
            return False
        return not (memory.stored_hidden(kind, item.id) and self.can_recover(item))

    def first_sight(self, kind: str, work_id: int) -> bool:
        """True the first time this run meets App API work ``work_id`` (``kind`` illust or novel)."""
        if (kind, work_id) in self._works_handled:
            return False
        self._works_handled.add((kind, work_id))
        return True

    # -- hidden works --------------------------------------------------------------------------------

    def hidden_items(self, item: IllustItem | NovelItem, obj: Any) -> Iterator[Any]:
        """What a hidden or placeholder record (``is_hidden(item)``) of any spider yields. A whole App API record
        the web may show (``restriction`` in RECOVERABLE) is fetched from the web Ajax API when the crawl has a
        ``PHPSESSID`` (pixivcrawl.spiders.recover); otherwise, and when the web fails too, the record itself
        (:meth:`keep_hidden`). ``obj`` is the JSON object it was parsed from (App API object, web thumbnail or
        ranking.php entry)."""
        if not item.whole:  # a web listing's thumbnail: the web itself hides it
            yield from self.keep_hidden(item)
        elif self.skip_known and self.can_recover(item) and self.known_hidden(item):
            self.count("incremental/known_recovered")  # recovered (or stored whole) before: not fetched again
        else:
            yield from self.recover_hidden(item)

    def keep_hidden(self, item: IllustItem | NovelItem) -> Iterator[Any]:
        """The hidden record itself and nothing else — no user (pixiv blanks its name), no sub-request (webview
        text, ugoira metadata, detail, download). Stored, it updates only ``visible`` and ``restriction`` of a
        work the database holds (pixivcrawl.db.rows). Counted under ``pixiv/works/hidden`` and
        ``pixiv/works/hidden/<restriction>``."""
        kind = item.restriction or "hidden"
        self.logger.debug("%s %s is hidden by pixiv (%s): only its visibility is stored", type(item).__name__,
                          item.id, kind)
        self.count("works/hidden")
        self.count(f"works/hidden/{kind}")
        yield item


def failure_cause(failure) -> tuple[str, str]:
    """(cause, stats key) of a request that failed for good: ``("HTTP 503 after 5 retries", "http_503")`` for
    an error answer (Scrapy's HttpError, status from ``failure.value.response``); for a download error the
    exception at its root (Scrapy wraps Twisted's), e.g. ``("ConnectionLost after 5 retries: Connection to the
    other side was lost in a non-clean fashion.", "connection_lost")``."""
    request = getattr(failure, "request", None)
    retries = request.meta.get("retry_times", 0) if request is not None else 0
    after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    if failure.check(HttpError):
        status = failure.value.response.status
        return f"HTTP {status}{after}", f"http_{status}"
    error = root_error(failure.value)
    name = type(error).__name__
    key = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)).lower()
    message = str(error).strip()
    return f"{name}{after}" + (f": {message}" if message else ""), key


def root_error(error: BaseException) -> BaseException:
    """The exception at the root of a download error: Scrapy's DownloadFailedError wraps Twisted's
    ResponseFailed, which lists the failures that caused it (``reasons``)."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        reasons = getattr(error, "reasons", None)
        if isinstance(reasons, list) and reasons and isinstance(getattr(reasons[0], "value", None), BaseException):
            error = reasons[0].value
        elif error.__cause__ is not None:
            error = error.__cause__
        else:
            break
    return error
