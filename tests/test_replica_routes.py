"""The replica's routing, in process: one aiohttp router per pixiv host chosen by ``X-Forwarded-Host`` (else
``Host``), pixiv's paths as aiohttp templates, the route table built from the routers, and a replica that imports
nothing of the crawler but :mod:`pixivcrawl.protocol`."""

from __future__ import annotations

import ast
import urllib.parse
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

import pixivcrawl.replica
from pixivcrawl.protocol import ACCOUNTS_HOST, APP_API_HOST, IMAGE_HOST, OAUTH_HOST, STATIC_HOST, WEB_HOST
from pixivcrawl.replica.config import ReplicaConfig
from pixivcrawl.replica.server import ANY_HOST, Replica

from .decorators import coroutine_test

REPLICA = Path(pixivcrawl.replica.__file__).parent
#: the crawler modules the replica may import
ALLOWED = ("pixivcrawl.protocol", "pixivcrawl.replica")

#: every pixiv endpoint the replica serves, per host (method, aiohttp path template)
PIXIV_ROUTES = {
    OAUTH_HOST: {("POST", "/auth/token")},
    APP_API_HOST: {
        ("GET", "/v1/illust/detail"),
        ("GET", "/v1/ugoira/metadata"),
        ("GET", "/v1/illust/series"),
        ("GET", "/v1/illust-series/illust"),
        ("GET", "/v2/novel/series"),
        ("GET", "/v2/novel/detail"),
        ("GET", "/v1/illust/ranking"),
        ("GET", "/v1/novel/ranking"),
        ("GET", "/v1/user/detail"),
        ("GET", "/v1/user/bookmarks/illust"),
        ("GET", "/v1/user/bookmarks/novel"),
        ("GET", "/v1/user/following"),
        ("GET", "/v2/illust/follow"),
        ("GET", "/v1/novel/follow"),
        ("GET", "/webview/v2/novel"),
        ("GET", "/v1/user/illusts"),
        ("GET", "/v1/user/novels"),
    },
    WEB_HOST: {
        ("GET", "/ranking.php"),
        ("GET", "/ajax/search/{kind}/{word}"),
        ("GET", "/ajax/commission/page/request"),
        ("GET", "/ajax/commission/page/request/{section}/{work_type}"),
        ("GET", "/ajax/illust/{illust_id}"),
        ("GET", "/ajax/illust/{illust_id}/pages"),
        ("GET", "/ajax/illust/{illust_id}/ugoira_meta"),
        ("GET", "/ajax/novel/{novel_id}"),
        ("GET", "/ajax/user/{user_id}/profile/all"),
    },
    IMAGE_HOST: {
        ("GET", "/img-original/img/{date}/{illust_id}_p{page}.{ext}"),
        ("GET", "/c/{size}/img-master/img/{date}/{illust_id}_p{page}_{crop}1200.jpg"),
        ("GET", "/img-master/img/{date}/{illust_id}_p{page}_master1200.jpg"),
        ("GET", "/img-zip-ugoira/img/{date}/{illust_id}_ugoira{size}.zip"),
        ("GET", "/user-profile/img/{date}/{user_id}_{hash}.jpg"),
        ("GET", "/c/{size}/novel-cover-master/img/{path}"),
        ("GET", "/novel-cover-master/img/{path}"),
        ("GET", "/c/{size}/illust-series-cover-original/img/{path}"),
        ("GET", "/illust-series-cover-original/img/{path}"),
    },
    STATIC_HOST: {("GET", "/common/images/{name}")},
}
#: the routes no crawl calls: the login pages and the control API
REPLICA_ONLY_ROUTES = {
    APP_API_HOST: {("GET", "/web/v1/login"), ("GET", "/web/v1/users/auth/pixiv/callback")},
    ACCOUNTS_HOST: {("GET", "/login"), ("POST", "/login"), ("GET", "/post-redirect")},
    WEB_HOST: {("*", "/")},
    ANY_HOST: {
        ("GET", "/_replica/health"), ("GET", "/_replica/world"), ("GET", "/_replica/requests"),
        ("POST", "/_replica/requests/clear"), ("GET", "/_replica/config"), ("POST", "/_replica/config"),
        ("POST", "/_replica/reupload"), ("POST", "/_replica/account"), ("GET", "/_replica/block"),
        ("POST", "/_replica/block"), ("GET", "/_replica/hide"), ("POST", "/_replica/hide"),
    },
}


def crawler_imports(source: str) -> set[str]:
    """The absolute ``pixivcrawl`` modules ``source`` imports (``from pixivcrawl import x`` counts as
    ``pixivcrawl.x``), inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "pixivcrawl":
                found |= {f"pixivcrawl.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "pixivcrawl"}


def _not_allowed(name: str) -> bool:
    return not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED) and name != "pixivcrawl"


def test_the_import_walk_sees_crawler_imports():
    source = ("from pixivcrawl.login import s256\nimport pixivcrawl.hosts\nfrom pixivcrawl import settings\n"
              "from . import world\nfrom pixivcrawl.protocol import WEB\n"
              "def lazy():\n    from pixivcrawl.spiders import base\n")
    assert {name for name in crawler_imports(source) if _not_allowed(name)} == {
        "pixivcrawl.login", "pixivcrawl.hosts", "pixivcrawl.settings", "pixivcrawl.spiders"}


def test_the_replica_imports_nothing_of_the_crawler_but_the_protocol():
    modules = sorted(REPLICA.glob("*.py"))
    imported = {path.name: crawler_imports(path.read_text(encoding="utf-8")) for path in modules}
    assert len(modules) > 10 and any("pixivcrawl.protocol" in names for names in imported.values())
    offenders = {name: sorted(n for n in names if _not_allowed(n)) for name, names in imported.items()}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


@pytest.fixture(scope="module")
def small_replica() -> Replica:
    return Replica(ReplicaConfig(works=100))


def test_route_table_lists_every_endpoint_from_the_routers(small_replica):
    routes = {host: set(table) for host, table in small_replica.routes().items()}
    replica_only = {host: set(table) for host, table in small_replica.replica_only_routes().items()}
    assert replica_only == REPLICA_ONLY_ROUTES
    pixiv = {host: table - replica_only.get(host, set()) for host, table in routes.items()}
    assert {host: table for host, table in pixiv.items() if table} == PIXIV_ROUTES
    # one entry per route: no catch-all, no HEAD twin of a GET, no duplicate
    assert all(len(table) == len(set(table)) for table in small_replica.routes().values())


async def _client(replica: Replica) -> TestClient:
    client = TestClient(TestServer(replica.app))
    await client.start_server()
    return client


async def _answer(client: TestClient, path: str, host: str | None, **headers: str) -> tuple[int, str, bytes]:
    if host is not None:
        headers["X-Forwarded-Host"] = host
    async with client.get(path, headers=headers) as response:
        return response.status, response.content_type, await response.read()


@coroutine_test
async def test_each_host_answers_from_its_own_router():
    replica = Replica(ReplicaConfig(works=100))
    client = await _client(replica)
    try:
        # the same path on three hosts: the login form, the web Ajax API's 404, the App API's bearer check
        assert (await _answer(client, "/login", ACCOUNTS_HOST))[:2] == (200, "text/html")
        assert await _answer(client, "/login", WEB_HOST) == (404, "application/json",
                                                             b'{"error":true,"message":"","body":[]}')
        status, kind, body = await _answer(client, "/login", APP_API_HOST)
        assert (status, kind) == (400, "application/json") and b"Error occurred at the OAuth process" in body
        # the CDN refuses without a pixiv Referer, whatever the path; oauth knows one path
        assert (await _answer(client, "/common/images/no_profile.png", STATIC_HOST))[0] == 403
        assert await _answer(client, "/v1/illust/detail", OAUTH_HOST) == (404, "application/json",
                                                                          b'{"error":"not_found"}')
        # X-Forwarded-Host wins over Host; without it, Host (port and case aside) names the pixiv host
        assert (await _answer(client, "/login", None, Host="Accounts.Pixiv.Net:443"))[:2] == (200, "text/html")
        assert (await _answer(client, "/login", ACCOUNTS_HOST, Host=WEB_HOST))[:2] == (200, "text/html")
        status, _, body = await _answer(client, "/login", "example.com")
        assert (status, body) == (421, b"the replica does not serve host 'example.com'")
        # the control API answers on any host and is not logged
        assert (await _answer(client, "/_replica/health", "example.com"))[0] == 200
        log = replica.log.since(0)
        assert [(e["host"], e["path"], e["status"]) for e in log] == [
            (ACCOUNTS_HOST, "/login", 200), (WEB_HOST, "/login", 404), (APP_API_HOST, "/login", 400),
            (STATIC_HOST, "/common/images/no_profile.png", 403), (OAUTH_HOST, "/v1/illust/detail", 404),
            (ACCOUNTS_HOST, "/login", 200), (ACCOUNTS_HOST, "/login", 200), ("example.com", "/login", 421)]
    finally:
        await client.close()


@coroutine_test
async def test_path_variables_reach_the_handlers():
    replica = Replica(ReplicaConfig(works=100))
    client = await _client(replica)
    try:
        work = replica.world.works[3]
        status, _, body = await _answer(client, f"/ajax/illust/{work.id}/pages", WEB_HOST)
        assert status == 200 and body.count(b'"urls"') == work.page_count
        # a search word keeps an encoded slash, and is decoded once it reaches the handler
        word = urllib.parse.quote("夏/冬", safe="")
        status, _, body = await _answer(client, f"/ajax/search/artworks/{word}", WEB_HOST)
        assert status == 200 and "#夏/冬の作品 - pixiv".encode() in body
        # a kind pixiv has no search for, and a work id that is no number, are the web API's 404
        for path in ("/ajax/search/users/x", "/ajax/illust/abc"):
            assert (await _answer(client, path, WEB_HOST))[0] == 404
    finally:
        await client.close()
