"""PIXIV_MIRROR: the URL rewrite helper and MirrorDownloadHandler, which sends pixiv's hosts to the mirror and
gives the response back under pixiv's URL (a local HTTP server records what reaches the wire; for other hosts the
HTTP/1.1 handler below it is a recording stand-in)."""

from __future__ import annotations

import pytest
from aiohttp import web
from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.mirror import MirrorDownloadHandler, mirrored_url
from pixivcrawl.protocol import PIXIV_HOSTS
from tests.decorators import coroutine_test

from .helpers import make_crawler

MIRROR = ("http", "127.0.0.1:8321")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://APP-API.pixiv.net/v1/user/detail?user_id=1", "http://127.0.0.1:8321/v1/user/detail?user_id=1"),
    ("https://www.pixiv.net", "http://127.0.0.1:8321/"),
    ("https://www.pixiv.net:443/ajax/x#fragment", "http://127.0.0.1:8321/ajax/x"),
    ("http://i.pximg.net/img-original/a%20b.png?x=1&y=2", "http://127.0.0.1:8321/img-original/a%20b.png?x=1&y=2"),
    ("ftp://www.pixiv.net/x", None),
    ("https://accounts.pixiv.net/login", None),  # the web login is not one of the mirrored hosts
    ("https://user:pass@evil.example/@www.pixiv.net/", None),
])
def test_mirrored_url_keeps_path_and_query_of_pixiv_hosts_only(url, expected):
    assert mirrored_url(url, *MIRROR) == expected


def test_mirrored_url_takes_its_own_host_list():
    assert mirrored_url("https://example.com/a?b=1", *MIRROR, hosts=frozenset({"example.com"})) == \
        "http://127.0.0.1:8321/a?b=1"
    assert mirrored_url("https://www.pixiv.net/a", *MIRROR, hosts=frozenset({"example.com"})) is None


@pytest.fixture
def sent(monkeypatch) -> list[Request]:
    """What reaches the HTTP/1.1 handler: recorded, answered with a 200 from the URL it was sent to."""
    requests: list[Request] = []

    async def download_request(self, request: Request) -> Response:
        requests.append(request)
        return Response(request.url, body=b"from " + request.url.encode(), request=request)

    monkeypatch.setattr(HTTP11DownloadHandler, "download_request", download_request)
    return requests


def mirror_handler(origin: str, **settings) -> MirrorDownloadHandler:
    return build_from_crawler(MirrorDownloadHandler, make_crawler(PIXIV_MIRROR=origin, **settings))


class WireRecorder:
    """A local HTTP server standing in for the mirror: records each request as it arrived (request line, headers,
    body) and answers 200 with ``from <path?query>``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.origin = ""
        self._runner: web.AppRunner | None = None

    async def _answer(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.path_qs, dict(request.headers), await request.read()))
        return web.Response(body=b"from " + request.path_qs.encode(), content_type="application/json")

    async def __aenter__(self) -> WireRecorder:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.origin = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.mark.parametrize("url", [f"https://{host}/some/path?q=1#part" for host in sorted(PIXIV_HOSTS)])
@coroutine_test
async def test_pixiv_requests_go_to_the_mirror_and_come_back_under_their_url(url):
    async with WireRecorder() as mirror:
        handler = mirror_handler(mirror.origin)
        try:
            request = Request(url, headers={"Referer": "https://www.pixiv.net/"})
            response = await handler.download_request(request)
        finally:
            await handler.close()
    ((method, path, headers, _body),) = mirror.seen
    assert (method, path) == ("GET", "/some/path?q=1")
    assert headers["Host"] == mirror.origin.split("/")[2]
    assert headers["X-Forwarded-Host"] == url.split("/")[2]
    assert headers["Referer"] == "https://www.pixiv.net/"
    assert response.url == url.split("#")[0] and response.body == b"from /some/path?q=1"
    assert response.status == 200 and response.headers["Content-Type"] == b"application/json"
    assert b"X-Forwarded-Host" not in request.headers  # the scheduler's request is left as it was
    assert request.url == url and "download_latency" in request.meta


@coroutine_test
async def test_a_mirrored_post_sends_its_body_and_method():
    async with WireRecorder() as mirror:
        handler = mirror_handler(mirror.origin)
        try:
            request = Request("https://oauth.secure.pixiv.net/auth/token", method="POST", body=b"a=1&b=2",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = await handler.download_request(request)
        finally:
            await handler.close()
    ((method, path, headers, body),) = mirror.seen
    assert (method, path, body) == ("POST", "/auth/token", b"a=1&b=2")
    assert headers["X-Forwarded-Host"] == "oauth.secure.pixiv.net"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert response.url == "https://oauth.secure.pixiv.net/auth/token"


@coroutine_test
async def test_other_hosts_and_an_unset_mirror_go_straight_out(sent):
    other = Request("https://example.com/x")
    await mirror_handler("http://127.0.0.1:8321").download_request(other)
    pixiv = Request("https://app-api.pixiv.net/v1/x")
    await mirror_handler("").download_request(pixiv)
    assert sent == [other, pixiv]


def test_the_mirror_keeps_an_idle_connection_per_request_in_flight():
    concurrency = 40
    handler = mirror_handler("http://127.0.0.1:8321", CONCURRENT_REQUESTS=concurrency)
    assert handler._pool.maxPersistentPerHost == concurrency


@pytest.mark.parametrize("origin", ["127.0.0.1:8321", "http://127.0.0.1:8321/replica"])
def test_a_bad_mirror_origin_is_refused_when_the_handler_is_built(origin):
    with pytest.raises(ValueError, match="PIXIV_MIRROR must be an origin"):
        mirror_handler(origin)
