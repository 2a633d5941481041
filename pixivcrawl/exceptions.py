"""Exceptions pixivcrawl's components raise for requests they give up on."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class GivenUp(IgnoreRequest):
    """A request pixivcrawl gave up on after logging why, once: spiders' errbacks count it
    (``pixiv/errors/request_failed``) without logging it again, and the files pipeline records the file as
    ``failed`` without a second warning. An IgnoreRequest, so Scrapy itself never logs it either."""


class Blocked(GivenUp):
    """pixiv or Cloudflare kept answering with something that is not what the endpoint returns (an HTML page
    where JSON, the novel webview or image bytes were expected), whatever the status, until the last retry
    (pixivcrawl.middlewares.bodycheck)."""


class NoAccessToken(GivenUp):
    """No App API access token can be had: pixiv refused the refresh token (``invalid_grant``), or a whole
    round of tries at its token endpoint failed; the crawl is stopping (pixivcrawl.middlewares.auth)."""
