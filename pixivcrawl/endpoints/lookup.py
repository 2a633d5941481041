"""What a request is: :func:`endpoint_of` and :func:`api_of`, the one place of the crawler that maps hosts and
paths to kinds of request; and :func:`follow`, the builder for URLs pixiv gives (``next_url``, image URLs)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import scrapy
from scrapy.utils.httpobj import urlparse_cached

from .catalogue import APIS, ENDPOINTS
from .model import ENDPOINT_META, Api, Endpoint

#: every endpoint by its name (``Request.meta["pixiv_endpoint"]``)
BY_NAME: dict[str, Endpoint] = {endpoint.name: endpoint for endpoint in ENDPOINTS}
_API_OF_HOST: dict[str, Api] = {host: api for api in APIS for host in api.hosts}
_ENDPOINTS_OF_HOST: dict[str, tuple[Endpoint, ...]] = {
    host: tuple(e for e in ENDPOINTS if e.host == host) for host in _API_OF_HOST}


def catalogue() -> list[Endpoint]:
    """Every endpoint pixivcrawl knows, App API first, then web, OAuth and the CDN."""
    return list(ENDPOINTS)


@lru_cache(maxsize=4096)  # each request is classified by several middlewares, one after another
def classify(host: str | None, path: str) -> Endpoint | None:
    """The endpoint a URL with this (lower-case) ``host`` and percent-encoded ``path`` is one of, or None."""
    for endpoint in _ENDPOINTS_OF_HOST.get(host or "", ()):
        if endpoint.matches(host, path):
            return endpoint
    return None


def endpoint_of(request: scrapy.Request) -> Endpoint | None:
    """The endpoint of ``request``: the one ``meta["pixiv_endpoint"]`` names, as long as the request's URL still
    is one of its URLs; else (no such key: a CDN URL from a pipeline, a request restored from an older JOBDIR, a
    user's URL; or a redirect took the request elsewhere) the one its URL matches, or None."""
    parts = urlparse_cached(request)
    named = BY_NAME.get(request.meta.get(ENDPOINT_META) or "")
    if named is not None and named.matches(parts.hostname, parts.path):
        return named
    return classify(parts.hostname, parts.path)


def api_of(request: scrapy.Request) -> Api | None:
    """The API of ``request``: its endpoint's, else the one its host belongs to, or None (not a pixiv API)."""
    endpoint = endpoint_of(request)
    if endpoint is not None:
        return endpoint.api
    return _API_OF_HOST.get(urlparse_cached(request).hostname or "")


def follow(url: str, **kwargs: Any) -> scrapy.Request:
    """A request of a URL pixiv gave (an App API ``next_url``, an image URL of a work), with
    ``meta["pixiv_endpoint"]`` naming the endpoint it is when the catalogue knows it; ``kwargs`` go to
    ``scrapy.Request``."""
    request = scrapy.Request(url, **kwargs)
    parts = urlparse_cached(request)
    endpoint = classify(parts.hostname, parts.path)
    if endpoint is not None:
        request.meta[ENDPOINT_META] = endpoint.name
    return request
