"""The endpoint catalogue: one place per pixiv endpoint on the crawler's side.

Every endpoint pixivcrawl calls is declared once, in :mod:`pixivcrawl.endpoints.catalogue`: its API (App API,
web, OAuth, CDN), method, path template, query parameters, what it answers, the parser that reads it, its request
budget and a line citing pixiv's endpoint. The four APIs are declared there too, each with its hosts and what every
request to it gets (client headers, credential, budget, download-slot concurrency).

- Spiders build requests from it: ``ILLUST_DETAIL.request({"illust_id": 1}, callback=…)`` (``PixivSpider.request``
  adds the spider's errback), ``SEARCH.url(kind="artworks", word="猫", p=1)``; URLs pixiv gives (``next_url``,
  image URLs) go through :func:`follow`. Each request carries its endpoint's name in
  ``Request.meta["pixiv_endpoint"]``.
- Middlewares read the classification instead of looking at hosts and paths: :func:`endpoint_of` and
  :func:`api_of` (headers by ``api.client``, credentials by ``api.credential``, the budget by ``endpoint.budget``,
  the expected body by ``endpoint.answers``, download slots by ``api.concurrency``). A request without the meta key
  is classified by its URL, here and nowhere else.
- The replica's routes use the same path templates (aiohttp's ``{name}`` syntax), so a test can check that the two
  sides agree (:func:`catalogue`).

To add an endpoint: one entry in :mod:`pixivcrawl.endpoints.catalogue` (and in :data:`ENDPOINTS`), one parser in
``pixivcrawl/parsers/``, one replica handler, and their tests.
"""

from __future__ import annotations

from .catalogue import (
    AJAX_ILLUST,
    AJAX_ILLUST_PAGES,
    AJAX_NOVEL,
    AJAX_UGOIRA_META,
    APIS,
    APP,
    CDN,
    COMMISSION_LISTING,
    COMMISSION_OVERVIEW,
    ENDPOINTS,
    ILLUST_DETAIL,
    ILLUST_FOLLOW,
    ILLUST_RANKING,
    ILLUST_SERIES,
    ILLUST_SERIES_ILLUST,
    MASTER_IMAGE,
    NOVEL_DETAIL,
    NOVEL_FOLLOW,
    NOVEL_RANKING,
    NOVEL_SERIES,
    NOVEL_TEXT,
    OAUTH,
    OAUTH_TOKEN,
    ORIGINAL_IMAGE,
    RANKING_PHP,
    RESIZED_IMAGE,
    SEARCH,
    UGOIRA_METADATA,
    UGOIRA_ZIP,
    USER_BOOKMARKS_ILLUST,
    USER_BOOKMARKS_NOVEL,
    USER_DETAIL,
    USER_FOLLOWING,
    USER_ILLUSTS,
    USER_NOVELS,
    USER_PROFILE_ALL,
    WEB,
)
from .lookup import BY_NAME, api_of, catalogue, classify, endpoint_of, follow
from .model import ENDPOINT_META, Api, Endpoint

__all__ = [
    "AJAX_ILLUST", "AJAX_ILLUST_PAGES", "AJAX_NOVEL", "AJAX_UGOIRA_META", "APIS", "APP", "BY_NAME", "CDN",
    "COMMISSION_LISTING", "COMMISSION_OVERVIEW", "ENDPOINTS", "ENDPOINT_META", "ILLUST_DETAIL", "ILLUST_FOLLOW",
    "ILLUST_RANKING", "ILLUST_SERIES", "ILLUST_SERIES_ILLUST", "MASTER_IMAGE", "NOVEL_DETAIL", "NOVEL_FOLLOW",
    "NOVEL_RANKING", "NOVEL_SERIES", "NOVEL_TEXT", "OAUTH", "OAUTH_TOKEN", "ORIGINAL_IMAGE", "RANKING_PHP",
    "RESIZED_IMAGE", "SEARCH", "UGOIRA_METADATA", "UGOIRA_ZIP", "USER_BOOKMARKS_ILLUST", "USER_BOOKMARKS_NOVEL",
    "USER_DETAIL", "USER_FOLLOWING", "USER_ILLUSTS", "USER_NOVELS", "USER_PROFILE_ALL", "WEB", "Api", "Endpoint",
    "api_of", "catalogue", "classify", "endpoint_of", "follow",
]
