"""The endpoint catalogue (pixivcrawl.endpoints): every endpoint's builder gives the URL the crawler has always sent,
a request is classified the same with and without ``meta["pixiv_endpoint"]``, each middleware decides from the
classification (headers, credential, budget, expected body, download slot), the spiders' requests carry their
endpoint, and no module outside the catalogue spells an API path."""

from __future__ import annotations

import ast
import inspect
from datetime import date
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.misc import build_from_crawler

import pixivcrawl
from pixivcrawl import endpoints as ep
from pixivcrawl.middlewares.auth import PixivAuthMiddleware
from pixivcrawl.middlewares.bodycheck import expected_body
from pixivcrawl.middlewares.headers import APP_USER_AGENT, WEB_USER_AGENT, PixivHeadersMiddleware
from pixivcrawl.middlewares.throttle import budget_for
from pixivcrawl.pipelines.files import PixivFilesPipeline
from pixivcrawl.protocol import APP_API_HOST, IMAGE_HOST, OAUTH_HOST, STATIC_HOST, WEB_HOST
from pixivcrawl.spiders.bookmarks import BookmarksSpider
from pixivcrawl.spiders.commission import CommissionSpider
from pixivcrawl.spiders.illust_series import IllustSeriesSpider
from pixivcrawl.spiders.novel_series import NovelSeriesSpider
from pixivcrawl.spiders.ranking import RankingSpider
from pixivcrawl.spiders.search import SearchSpider
from pixivcrawl.spiders.user import UserSpider
from tests.components.helpers import (
    FakeEngine,
    illust_item,
    isolate,
    json_response,
    make_crawler,
    token_body,
    work_ids,
)
from tests.decorators import coroutine_test

DATE = "2019/01/03/22/09/13"
#: (endpoint, query params, path variables, the URL pixivcrawl sent before the catalogue existed)
URLS = [
    (ep.ILLUST_DETAIL, {"illust_id": 100000018}, {},
     "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000018"),
    (ep.UGOIRA_METADATA, {"illust_id": 100000008}, {},
     "https://app-api.pixiv.net/v1/ugoira/metadata?illust_id=100000008"),
    (ep.ILLUST_SERIES, {"illust_series_id": 10, "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/illust/series?illust_series_id=10&filter=for_ios"),
    (ep.ILLUST_SERIES_ILLUST, {"illust_id": 100000018, "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/illust-series/illust?illust_id=100000018&filter=for_ios"),
    (ep.NOVEL_SERIES, {"series_id": 7, "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v2/novel/series?series_id=7&filter=for_ios"),
    (ep.NOVEL_DETAIL, {"novel_id": 20000001}, {}, "https://app-api.pixiv.net/v2/novel/detail?novel_id=20000001"),
    (ep.NOVEL_TEXT, {"id": 20000000, "viewer_version": "20221031_ai"}, {},
     "https://app-api.pixiv.net/webview/v2/novel?id=20000000&viewer_version=20221031_ai"),
    (ep.ILLUST_RANKING, {"mode": "day_male", "date": "2024-01-31", "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/illust/ranking?mode=day_male&date=2024-01-31&filter=for_ios"),
    (ep.NOVEL_RANKING, {"mode": "week", "date": "2024-01-01", "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/novel/ranking?mode=week&date=2024-01-01&filter=for_ios"),
    (ep.USER_DETAIL, {"user_id": 5000001, "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/user/detail?user_id=5000001&filter=for_ios"),
    (ep.USER_ILLUSTS, {"user_id": 5000001, "type": None, "filter": "for_ios", "offset": 30}, {},
     "https://app-api.pixiv.net/v1/user/illusts?user_id=5000001&filter=for_ios&offset=30"),
    (ep.USER_NOVELS, {"user_id": 5000001, "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/user/novels?user_id=5000001&filter=for_ios"),
    (ep.USER_PROFILE_ALL, {}, {"user_id": 5000001}, "https://www.pixiv.net/ajax/user/5000001/profile/all"),
    (ep.USER_BOOKMARKS_ILLUST, {"user_id": 5000000, "restrict": "private", "filter": "for_ios", "tag": "風景"}, {},
     ("https://app-api.pixiv.net/v1/user/bookmarks/illust?user_id=5000000&restrict=private&filter=for_ios"
      "&tag=%E9%A2%A8%E6%99%AF")),
    (ep.USER_BOOKMARKS_NOVEL, {"user_id": 5000000, "restrict": "public", "filter": "for_ios",
                               "max_bookmark_id": 5000001821}, {},
     ("https://app-api.pixiv.net/v1/user/bookmarks/novel?user_id=5000000&restrict=public&filter=for_ios"
      "&max_bookmark_id=5000001821")),
    (ep.USER_FOLLOWING, {"user_id": 5000001, "restrict": "private", "filter": "for_ios"}, {},
     "https://app-api.pixiv.net/v1/user/following?user_id=5000001&restrict=private&filter=for_ios"),
    (ep.ILLUST_FOLLOW, {"restrict": "all", "offset": 30}, {}, "https://app-api.pixiv.net/v2/illust/follow?restrict=all&offset=30"),
    (ep.NOVEL_FOLLOW, {"restrict": "public"}, {}, "https://app-api.pixiv.net/v1/novel/follow?restrict=public"),
    (ep.SEARCH, {"word": "猫 a/b&c", "order": "date_d", "mode": "all", "s_mode": "s_tag_full", "ai_type": 1,
                 "work_lang": "ja", "scd": "2020-01-01", "ecd": None, "p": 3}, {"kind": "novels", "word": "猫 a/b&c"},
     ("https://www.pixiv.net/ajax/search/novels/%E7%8C%AB%20a%2Fb%26c?word=%E7%8C%AB+a%2Fb%26c&order=date_d&mode=all"
      "&s_mode=s_tag_full&ai_type=1&work_lang=ja&scd=2020-01-01&p=3")),
    (ep.RANKING_PHP, {"mode": "weekly", "content": "manga", "date": "20240131", "p": 1, "format": "json"}, {},
     "https://www.pixiv.net/ranking.php?mode=weekly&content=manga&date=20240131&p=1&format=json"),
    (ep.COMMISSION_OVERVIEW, {}, {}, "https://www.pixiv.net/ajax/commission/page/request"),
    (ep.COMMISSION_LISTING, {"mode": "safe", "p": 4}, {"section": "creators", "work_type": "illust"},
     "https://www.pixiv.net/ajax/commission/page/request/creators/illust?mode=safe&p=4"),
    (ep.AJAX_ILLUST, {"lang": "en"}, {"illust_id": 100000000}, "https://www.pixiv.net/ajax/illust/100000000?lang=en"),
    (ep.AJAX_ILLUST_PAGES, {"lang": "en"}, {"illust_id": 100000000},
     "https://www.pixiv.net/ajax/illust/100000000/pages?lang=en"),
    (ep.AJAX_UGOIRA_META, {"lang": "ja"}, {"illust_id": 100000008},
     "https://www.pixiv.net/ajax/illust/100000008/ugoira_meta?lang=ja"),
    (ep.AJAX_NOVEL, {"lang": "en"}, {"novel_id": 20000000}, "https://www.pixiv.net/ajax/novel/20000000?lang=en"),
    (ep.OAUTH_TOKEN, {}, {}, "https://oauth.secure.pixiv.net/auth/token"),
    (ep.ORIGINAL_IMAGE, {}, {"date_path": DATE, "filename": "100000000_p0.jpg"},
     f"https://i.pximg.net/img-original/img/{DATE}/100000000_p0.jpg"),
    (ep.MASTER_IMAGE, {}, {"date_path": DATE, "filename": "100000000_p0_master1200.jpg"},
     f"https://i.pximg.net/img-master/img/{DATE}/100000000_p0_master1200.jpg"),
    (ep.RESIZED_IMAGE, {}, {"size": "540x540_70", "date_path": DATE, "filename": "100000000_p0_master1200.jpg"},
     f"https://i.pximg.net/c/540x540_70/img-master/img/{DATE}/100000000_p0_master1200.jpg"),
    (ep.UGOIRA_ZIP, {}, {"date_path": DATE, "filename": "100000008_ugoira1920x1080.zip"},
     f"https://i.pximg.net/img-zip-ugoira/img/{DATE}/100000008_ugoira1920x1080.zip"),
]
IDS = [endpoint.name for endpoint, *_ in URLS]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


# -- the table ------------------------------------------------------------------------------------------

def test_the_url_table_covers_every_endpoint_once():
    assert sorted(IDS) == sorted(e.name for e in ep.catalogue()) == sorted(ep.BY_NAME)
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("endpoint", ep.catalogue(), ids=lambda e: e.name)
def test_each_entry_is_complete(endpoint):
    assert endpoint.api in ep.APIS and endpoint.host in endpoint.api.hosts
    assert endpoint.method in ("GET", "POST") and endpoint.path.startswith("/")
    assert endpoint.answers in ("json", "webview", "media")
    assert endpoint.budget == endpoint.api.budget  # none differs from its API's today
    assert endpoint.description.strip() and endpoint.name.isidentifier()
    for parser in endpoint.parser:  # parser functions of pixivcrawl.parsers, imported, not named
        assert inspect.isfunction(parser) and parser.__module__.startswith("pixivcrawl.parsers.")
    assert bool(endpoint.parser) == (endpoint.api.name in ("app", "web"))


def test_the_apis_say_what_each_request_gets():
    policy = {api.name: (api.hosts, api.budget, api.client, api.credential, api.concurrency) for api in ep.APIS}
    assert policy == {
        "app": ((APP_API_HOST,), "app", "app", "bearer", "PIXIV_API_CONCURRENCY"),
        "web": ((WEB_HOST,), "web", "browser", "cookie", "PIXIV_API_CONCURRENCY"),
        "oauth": ((OAUTH_HOST,), None, "app", None, 1),
        "cdn": ((IMAGE_HOST, STATIC_HOST), "cdn", "referer", None, "PIXIV_CDN_CONCURRENCY"),
    }


# -- builders and classification ------------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "params", "path", "url"), URLS, ids=IDS)
def test_each_builder_gives_the_url_the_crawler_sends(endpoint, params, path, url):
    assert endpoint.url(**{**path, **params}) == url  # the search's word is a path variable and a parameter
    request = endpoint.request(params, callback=None, **path)
    assert request.url == url and request.method == endpoint.method
    assert request.meta == {"pixiv_endpoint": endpoint.name}


@pytest.mark.parametrize(("endpoint", "params", "path", "url"), URLS, ids=IDS)
def test_a_request_is_the_same_endpoint_with_or_without_its_meta(endpoint, params, path, url):
    built = endpoint.request(params, **path)
    bare = Request(url, method=endpoint.method)
    assert ep.endpoint_of(built) is ep.endpoint_of(bare) is endpoint
    assert ep.api_of(built) is ep.api_of(bare) is endpoint.api


def test_a_request_keeps_its_own_meta_and_request_arguments():
    request = ep.AJAX_ILLUST.request({"lang": "en"}, callback=print, illust_id=5, headers={"Referer": "r"},
                                     meta={"pixiv_auth": False}, cb_kwargs={"x": 1}, dont_filter=True)
    assert request.meta == {"pixiv_auth": False, "pixiv_endpoint": "ajax_illust"}
    assert request.headers["Referer"] == b"r" and request.cb_kwargs == {"x": 1} and request.dont_filter
    assert request.callback is print


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ep.ILLUST_DETAIL.url(illust=1), "takes no parameter illust (it takes illust_id)"),
    (lambda: ep.AJAX_ILLUST.url(lang="en"), "needs its path variable(s) illust_id"),
    (lambda: ep.COMMISSION_OVERVIEW.request({"p": 1}), "takes no parameter p (it takes none)"),
])
def test_a_builder_refuses_what_the_endpoint_does_not_take(call, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.parametrize(("url", "name", "api"), [
    ("https://app-api.pixiv.net/v1/illust/series?illust_series_id=1&filter=for_ios&offset=30", "illust_series", "app"),
    ("https://app-api.pixiv.net/v2/novel/series?series_id=7&last_order=30", "novel_series", "app"),
    ("https://app-api.pixiv.net/v1/user/detail?user_id=1", "user_detail", "app"),
    ("https://app-api.pixiv.net/v1/user/illusts?user_id=1&type=illust", "user_illusts", "app"),
    ("https://app-api.pixiv.net/v2/illust/related?illust_id=1", None, "app"),
    ("https://app-api.pixiv.net/v1/user/bookmarks/illust?user_id=1&restrict=public&max_bookmark_id=5",
     "user_bookmarks_illust", "app"),
    ("https://www.pixiv.net/artworks/100000000", None, "web"),
    ("https://s.pximg.net/common/images/limit_unknown_360.png", None, "cdn"),
    ("https://example.com/v1/illust/detail?illust_id=1", None, None),
])
def test_follow_stamps_the_endpoint_a_pixiv_given_url_is(url, name, api):
    request = ep.follow(url, callback=None)
    assert request.url == url and request.meta.get("pixiv_endpoint") == name
    assert (ep.api_of(request).name if ep.api_of(request) else None) == api


def test_a_request_redirected_elsewhere_is_what_its_url_is_not_what_its_meta_says():
    built = ep.ILLUST_DETAIL.request({"illust_id": 1})
    moved = built.replace(url="https://www.pixiv.net/en/artworks/1")  # Scrapy's redirects keep the meta
    assert moved.meta["pixiv_endpoint"] == "illust_detail"
    assert ep.endpoint_of(moved) is None and ep.api_of(moved) is ep.WEB
    assert budget_for(moved) == "web" and expected_body(moved) is None
    stale = Request("https://www.pixiv.net/ajax/novel/2", meta={"pixiv_endpoint": "no_such_endpoint"})
    assert ep.endpoint_of(stale) is ep.AJAX_NOVEL


# -- each middleware's decision, one request per API ----------------------------------------------------

def per_api_requests() -> dict[str, Request]:
    return {
        "app": ep.ILLUST_DETAIL.request({"illust_id": 100000000}),
        "webview": ep.NOVEL_TEXT.request({"id": 20000000, "viewer_version": "20221031_ai"}),
        "web": ep.AJAX_ILLUST.request({"lang": "en"}, illust_id=100000000),
        "ranking_php": ep.RANKING_PHP.request({"mode": "daily", "p": 1, "format": "json"}),
        "oauth": ep.OAUTH_TOKEN.request(body="grant_type=refresh_token"),
        "cdn": ep.follow(f"https://i.pximg.net/img-original/img/{DATE}/100000000_p0.jpg"),
    }


def test_headers_by_api():
    mw = build_from_crawler(PixivHeadersMiddleware, make_crawler())
    requests = per_api_requests()
    for request in requests.values():
        mw.process_request(request)
    agents = {name: r.headers.get("User-Agent") for name, r in requests.items()}
    assert agents == {"app": APP_USER_AGENT.encode(), "webview": APP_USER_AGENT.encode(),
                      "web": WEB_USER_AGENT.encode(), "ranking_php": WEB_USER_AGENT.encode(),
                      "oauth": APP_USER_AGENT.encode(), "cdn": None}
    assert {name for name, r in requests.items() if b"X-Client-Hash" in r.headers} == {"app", "webview", "oauth"}
    assert {name: r.headers.get("Referer") for name, r in requests.items()} == {
        "app": b"https://app-api.pixiv.net/", "webview": b"https://app-api.pixiv.net/", "oauth":
        b"https://app-api.pixiv.net/", "web": b"https://www.pixiv.net/", "ranking_php": b"https://www.pixiv.net/",
        "cdn": b"https://www.pixiv.net/"}


@coroutine_test
async def test_credentials_by_api():
    crawler = make_crawler(PIXIV_REFRESH_TOKEN="refresh-1", PIXIV_PHPSESSID="1_session")
    crawler.engine = FakeEngine(lambda request: json_response(request.url, token_body("access-1"), request=request))
    mw = build_from_crawler(PixivAuthMiddleware, crawler)
    requests = per_api_requests()
    for name, request in requests.items():
        if name != "oauth":  # the token request itself goes out with pixiv_auth False (below)
            await mw.process_request(request)
    got = {name: (r.headers.get("Authorization"), r.headers.get("Cookie")) for name, r in requests.items()}
    assert got == {"app": (b"Bearer access-1", None), "webview": (b"Bearer access-1", None),
                   "web": (None, b"PHPSESSID=1_session"), "ranking_php": (None, b"PHPSESSID=1_session"),
                   "oauth": (None, None), "cdn": (None, None)}
    (refresh,) = crawler.engine.downloads  # built from the catalogue's token endpoint
    assert ep.endpoint_of(refresh) is ep.OAUTH_TOKEN and refresh.meta["pixiv_endpoint"] == "oauth_token"
    assert refresh.url == ep.OAUTH_TOKEN.url() and refresh.method == "POST" and refresh.meta["pixiv_auth"] is False


@coroutine_test
async def test_a_refused_bearer_is_replayed_for_the_app_api_only():
    crawler = make_crawler(PIXIV_REFRESH_TOKEN="refresh-1")
    crawler.engine = FakeEngine(lambda request: json_response(request.url, token_body("access-1"), request=request))
    mw = build_from_crawler(PixivAuthMiddleware, crawler)
    refused = {"error": {"message": "Error occurred at the OAuth process."}}
    for name, request in per_api_requests().items():
        answer = json_response(request.url, refused, status=400, request=request)
        replayed = await mw.process_response(request, answer)
        assert (replayed is not answer) == (name in ("app", "webview")), name


def test_budget_and_expected_body_by_endpoint():
    requests = per_api_requests()
    assert {name: budget_for(r) for name, r in requests.items()} == {
        "app": "app", "webview": "app", "web": "web", "ranking_php": "web", "oauth": None, "cdn": "cdn"}
    assert {name: expected_body(r) for name, r in requests.items()} == {
        "app": "json", "webview": "webview", "web": "json", "ranking_php": "json", "oauth": "json", "cdn": "media"}
    overridden = ep.ILLUST_DETAIL.request({"illust_id": 1}, meta={"pixiv_budget": None, "pixiv_expect_json": False})
    assert budget_for(overridden) is None and expected_body(overridden) is None


def test_download_slots_come_from_the_api_table():
    slots = make_crawler(PIXIV_API_CONCURRENCY=3, PIXIV_CDN_CONCURRENCY=9).settings.getdict("DOWNLOAD_SLOTS")
    expected = {"PIXIV_API_CONCURRENCY": 3, "PIXIV_CDN_CONCURRENCY": 9, 1: 1}
    for api in ep.APIS:
        for host in api.hosts:
            assert slots[host] == {"concurrency": expected[api.concurrency], "delay": 0.0}


# -- the spiders and pipelines build through the catalogue ---------------------------------------------

def spider(cls, **kwargs):
    return make_crawler(cls, {key: str(value) for key, value in kwargs.items()}).spider


@pytest.mark.parametrize(("cls", "kwargs", "names"), [
    (SearchSpider, {"word": "猫"}, ["search"]),
    (RankingSpider, {}, ["ranking_php"]),
    (RankingSpider, {"api": "app", "work": "novel", "mode": "day", "date": "2024-01-31"}, ["novel_ranking"]),
    (CommissionSpider, {"section": "overview,complete", "type": "manga"}, ["commission_listing"]),
    (CommissionSpider, {"section": "overview"}, ["commission_overview"]),
    (IllustSeriesSpider, {"series_id": 10}, ["illust_series"]),
    (IllustSeriesSpider, {"illust_id": 100000018}, ["illust_detail"]),
    (NovelSeriesSpider, {"series_id": 7}, ["novel_series"]),
    (NovelSeriesSpider, {"novel_id": 20000001}, ["novel_detail"]),
    # not incremental: the listings' pages follow the profile, which gives their lengths (test_user_spider_e2e)
    (UserSpider, {"user_id": 5000001}, ["user_detail"]),
    (UserSpider, {"user_id": 5000001, "type": "manga", "series": 1}, ["user_detail", "user_profile_all"]),
    (BookmarksSpider, {"user_id": 5000001}, ["user_bookmarks_illust"]),
    (BookmarksSpider, {"user_id": 5000001, "work": "novel", "restrict": "private"}, ["user_bookmarks_novel"]),
])
def test_start_requests_carry_their_endpoint(cls, kwargs, names):
    requests = list(spider(cls, **kwargs).start_requests_for_arguments())
    assert [r.meta["pixiv_endpoint"] for r in requests] == names
    assert all(ep.endpoint_of(r) is ep.endpoint_of(Request(r.url)) for r in requests)


def test_follow_up_requests_carry_their_endpoint():
    series = spider(IllustSeriesSpider, series_id=1)
    pages = series.other_pages("https://app-api.pixiv.net/v1/illust/series?illust_series_id=1&offset=30", 30,
                               {"series_work_count": 70})
    assert [(r.url, r.meta["pixiv_endpoint"]) for r in pages] == [
        ("https://app-api.pixiv.net/v1/illust/series?illust_series_id=1&offset=30", "illust_series"),
        ("https://app-api.pixiv.net/v1/illust/series?illust_series_id=1&offset=60", "illust_series")]
    user = spider(UserSpider, user_id=5000001)
    page = user.listing_page({"user_id": 5000001, "kind": "illust", "tag": None, "illust_type": "illust"}, 30)
    assert (page.url, page.meta["pixiv_endpoint"]) == (  # the form of pixiv's next_url (tests/fixtures/app-api)
        "https://app-api.pixiv.net/v1/user/illusts?filter=for_ios&type=illust&user_id=5000001&offset=30",
        "user_illusts")
    search = spider(SearchSpider, word="猫")
    assert search.page_request((date(2024, 1, 1), None), 2).meta["pixiv_endpoint"] == "search"
    hidden = illust_item(work_ids("illust")[0])
    recover = series.ajax_work_request(ep.AJAX_ILLUST_PAGES, series.parse_recovered_pages, hidden=hidden, body={})
    assert recover.url == f"https://www.pixiv.net/ajax/illust/{hidden.id}/pages?lang=en"
    assert recover.meta["pixiv_endpoint"] == "ajax_illust_pages"
    assert recover.headers["Referer"] == f"https://www.pixiv.net/artworks/{hidden.id}".encode()


@pytest.mark.parametrize(("size", "kind", "name"), [
    ("original", "manga", "original_image"), ("regular", "manga", "master_image"),
    ("small", "manga", "resized_image"), ("original", "ugoira", "ugoira_zip"),
])
def test_media_requests_carry_their_cdn_endpoint(tmp_path, size, kind, name):
    crawler = make_crawler(FILES_STORE=str(tmp_path / "files"), PIXIV_FILES_IMAGE_SIZE=size)
    pipeline = build_from_crawler(PixivFilesPipeline, crawler)
    pipeline.open_spider()
    requests = pipeline.get_media_requests(illust_item(work_ids(kind)[0]), pipeline.spiderinfo)
    assert requests and {r.meta["pixiv_endpoint"] for r in requests} == {name}
    assert {ep.api_of(r) for r in requests} == {ep.CDN} and {budget_for(r) for r in requests} == {"cdn"}


# -- the one place ----------------------------------------------------------------------------------------

#: what an API path looks like (the token endpoint's /auth/token is left out: stats keys spell pixiv/auth/token_…)
API_PATHS = ("/v1/", "/v2/", "/ajax/", "/webview/", "/ranking.php")


def _literals(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string constant of a module but its docstrings and argument descriptions."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
        # an argument's description (pydantic ``Field(description=...)``) is documentation too
        if isinstance(node, ast.keyword) and node.arg == "description":
            docstrings.update(id(part) for part in ast.walk(node.value) if isinstance(part, ast.Constant))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_module_but_the_catalogue_spells_a_pixiv_api_path():
    package = Path(pixivcrawl.__file__).parent
    found = []
    for folder in ("spiders", "middlewares", "pipelines"):
        for module in sorted((package / folder).glob("*.py")):
            for line, text in _literals(ast.parse(module.read_text())):
                found += [f"{module.relative_to(package)}:{line}: {text!r}" for path in API_PATHS if path in text]
    assert found == []
    catalogued = {e.path for e in ep.catalogue()}
    assert "/v1/illust/detail" in catalogued and "/ajax/search/{kind}/{word}" in catalogued  # the check's subject
