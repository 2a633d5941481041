"""PIXIV_MIRROR: the URL rewrite helper and MirrorDownloadHandler, which sends pixiv's hosts to the mirror and
gives the response back under pixiv's URL (the HTTP/1.1 handler below it is a recording stand-in)."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("url", [f"https://{host}/some/path?q=1" for host in sorted(PIXIV_HOSTS)])
@coroutine_test
async def test_pixiv_requests_go_to_the_mirror_and_come_back_under_their_url(sent, url):
    handler = mirror_handler("http://127.0.0.1:8321")
    request = Request(url, headers={"Referer": "https://www.pixiv.net/"})
    response = await handler.download_request(request)
    (wire,) = sent
    assert wire.url == "http://127.0.0.1:8321/some/path?q=1"
    assert wire.headers["X-Forwarded-Host"] == url.split("/")[2].encode()
    assert wire.headers["Referer"] == b"https://www.pixiv.net/"
    assert response.url == url and response.body == b"from " + wire.url.encode()
    assert b"X-Forwarded-Host" not in request.headers  # the scheduler's request is left as it was


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
