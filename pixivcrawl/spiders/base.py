"""What every pixivcrawl spider shares: argument checks, App API requests, JSON and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import orjson
import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from pixivcrawl.hosts import APP_API
from pixivcrawl.items import UserItem
from pixivcrawl.parsers.app_api import ParseError, app_error_message, parse_user


class SpiderArgumentError(ValueError):
    """A spider argument is missing or malformed; the message is one sentence naming it."""


def positive_int(name: str, value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(f"Argument {name} must be a positive number, not {value!r}.") from None
    if number <= 0:
        raise SpiderArgumentError(f"Argument {name} must be a positive number, not {value!r}.")
    return number


def check_known(kwargs: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse arguments the spider does not know (scrapyd's own start with ``_`` and are let through)."""
    unknown = sorted(k for k in kwargs if k not in allowed and not k.startswith("_"))
    if unknown:
        raise SpiderArgumentError(
            f"Unknown argument {unknown[0]!r}; this spider takes: {', '.join(allowed)}.")


class PixivSpider(scrapy.Spider):
    #: credentials this spider cannot run without (checked by PixivAuthMiddleware at start)
    pixiv_credentials: tuple[str, ...] = ("refresh_token",)
    #: pixiv answers errors with JSON bodies: let them reach the callbacks, which log the cause
    handle_httpstatus_list = [400, 403, 404]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
        for request in self.start_requests_for_arguments():
            yield request

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------------

    def app_request(self, path: str, params: dict[str, Any], callback: Callable, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(f"{APP_API}{path}?{urlencode(params)}", callback=callback,
                              errback=self.on_error, **kwargs)

    def on_error(self, failure) -> None:
        request = failure.request
        self.logger.error("Request failed for good: %s (%s: %s)", request.url, failure.type.__name__,
                          failure.getErrorMessage())
        self.count("errors/request_failed")

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"pixiv/{key}", n)

    def app_json(self, response: Response, what: str) -> dict | None:
        """The JSON object of an App API response, or None (logged and counted) when it is an error."""
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            self.logger.error("%s: HTTP %s with a body that is not JSON (%d bytes) from %s", what, response.status,
                              len(response.body), response.url)
            self.count("errors/bad_json")
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

    def malformed(self, what: str, exc: ParseError) -> None:
        self.logger.warning("Skipped malformed %s: %s", what, exc)
        self.count("errors/malformed")

    def user_once(self, obj: Any) -> Iterator[UserItem]:
        """A UserItem for this user the first time it is seen in this run."""
        try:
            user = parse_user(obj)
        except ParseError as exc:
            self.malformed("user", exc)
            return
        if user.id not in self._users_seen:
            self._users_seen.add(user.id)
            yield user
