"""The crawler's endpoint catalogue (pixivcrawl.endpoints) and the replica's route table (pixivcrawl.replica) cannot
drift: every endpoint the crawler calls is routed by the replica to a handler of its own, with the method the crawler
sends, and every pixiv route the replica serves is an endpoint of the catalogue — or one listed below as served for
browsers only, with the reason."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import make_mocked_request

from pixivcrawl.endpoints import catalogue, classify
from pixivcrawl.protocol import IMAGE_HOST, STATIC_HOST
from pixivcrawl.replica.config import ReplicaConfig
from pixivcrawl.replica.server import Replica

from .decorators import coroutine_test

#: a value for each path variable of the catalogue and of the replica's templates
SAMPLES = {
    "kind": "illustrations", "word": "猫", "illust_id": "100000001", "novel_id": "20000001", "section": "complete",
    "work_type": "illust", "date_path": "2024/01/31/00/00/00", "date": "2024/01/31/00/00/00",
    "filename": "100000001_p0.png", "size": "600x1200", "page": "0", "ext": "png", "crop": "master",
    "user_id": "1001", "hash": "a1b2c3", "path": "2024/01/31/00/00/00/1_cover.jpg",
    "name": "limit_sanity_level_360.png",
}
#: the file name of a sample URL, per CDN endpoint (pixiv names files by size)
FILENAMES = {"master_image": "100000001_p0_master1200.jpg", "resized_image": "100000001_p0_master1200.jpg",
             "ugoira_zip": "100000001_ugoira600x600.zip"}
#: replica routes no crawl requests, each with why the replica serves it
BROWSER_ONLY = {
    (IMAGE_HOST, "/user-profile/img/{date}/{user_id}_{hash}.jpg"): "user avatars: the image URLs in App API users",
    (IMAGE_HOST, "/c/{size}/novel-cover-master/img/{path}"): "novel covers: URLs in novel objects",
    (IMAGE_HOST, "/novel-cover-master/img/{path}"): "novel covers: URLs in novel objects",
    (IMAGE_HOST, "/c/{size}/illust-series-cover-original/img/{path}"): "series covers: URLs in series details",
    (IMAGE_HOST, "/illust-series-cover-original/img/{path}"): "series covers: URLs in series details",
    (STATIC_HOST, "/common/images/{name}"): "pixiv's placeholders, which the files pipeline never downloads",
}


def sample_path(template: str) -> str:
    """``template`` (an aiohttp path template, with or without a variable's regex) with sample values."""
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: SAMPLES[m.group(1)], template)


def pixiv_routes() -> list[tuple[str, str, str]]:
    """(host, method, template) of every route of the replica but the replica-only ones (control API, login)."""
    replica = Replica(ReplicaConfig())
    only = {(host, method, path) for host, routes in replica.replica_only_routes().items() for method, path in routes}
    return [(host, method, path) for host, routes in replica.routes().items() for method, path in routes
            if (host, method, path) not in only]


@pytest.mark.parametrize("endpoint", catalogue(), ids=lambda endpoint: endpoint.name)
@coroutine_test
async def test_the_replica_routes_every_catalogue_endpoint(endpoint):
    replica = Replica(ReplicaConfig())
    samples = {**SAMPLES, "filename": FILENAMES.get(endpoint.name, SAMPLES["filename"])}
    url = endpoint.url(**{name: samples[name] for name in endpoint.path_args})
    parts = urlsplit(url)
    request = make_mocked_request(endpoint.method, parts.path, headers={"X-Forwarded-Host": parts.hostname})
    match = await replica.app.router.resolve(request)
    route = (match.route.method, match.route.resource.canonical) if match.http_exception is None else None
    # a route of the host's table (not a catch-all, which the table leaves out, nor a replica-only route)
    assert route in replica.routes().get(endpoint.host, []), \
        f"{endpoint.name}: the replica has no route of its own for {endpoint.method} {url} (got {route})"
    assert route not in replica.replica_only_routes().get(endpoint.host, [])


@pytest.mark.parametrize(("host", "method", "template"), pixiv_routes(), ids=str)
def test_every_pixiv_route_of_the_replica_is_in_the_catalogue(host, method, template):
    if (host, template) in BROWSER_ONLY:
        assert classify(host, sample_path(template)) is None, "a browser-only route the crawler calls after all"
        return
    endpoint = classify(host, sample_path(template))
    assert endpoint is not None, f"the replica serves {method} {host}{template}, which the catalogue does not know"
    assert endpoint.method == method
