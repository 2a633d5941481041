"""The replica's image CDN: i.pximg.net (work images, ugoira zips, avatars, covers) and s.pximg.net (placeholders).

URL patterns (protocol notes §4.2; dates are the ``YYYY/MM/DD/hh/mm/ss`` of the work's last upload, in JST):

- ``/img-original/img/{date}/{illust_id}_p{page}.{ext}``: a page at its true size in its original format;
- ``/c/{size}/img-master/img/{date}/{illust_id}_p{page}_{crop}1200.jpg`` (``size`` such as ``600x1200_90``,
  ``crop`` master or square) and ``/img-master/img/{date}/{illust_id}_p{page}_master1200.jpg``: JPEG renditions
  that fit the box (1200x1200 without one);
- ``/img-zip-ugoira/img/{date}/{illust_id}_ugoira{size}.zip`` (600x600 or 1920x1080): an ugoira's frames (§4.3);
- ``/user-profile/img/{date}/{user_id}_{hash}.jpg`` (avatars), novel and illust-series covers under
  ``novel-cover-master`` and ``illust-series-cover-original``;
- s.pximg.net ``/common/images/{name}`` (``limit_sanity_level_360.png``, ``no_profile.png`` …).

The bytes are real images (:mod:`pixivcrawl.replica.images`). Like pixiv's CDN, every answer needs a pixiv
``Referer`` (else 403, §4.1); a URL whose date is not the work's current one (a re-uploaded work), a page the work
does not have, another extension than the original's or a work hidden on purpose answers 404.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from pixivcrawl.protocol import IMAGE_HOST, STATIC_HOST

from .config import ReplicaConfig
from .images import ImageFactory
from .world import World

PIXIV_REFERER = re.compile(r"^https?://([a-z0-9-]+\.)*pixiv\.net(/|$)")
#: the date part of a CDN URL, as a path variable
DATE = r"{date:\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d}"
_BOX = re.compile(r"(\d+)x(\d+)")
_COVER = r"{path:.+\.jpg}"


def _not_found() -> web.Response:
    return web.Response(status=404, text="404 Not Found")


def _jpeg(data: bytes) -> web.Response:
    return web.Response(body=data, content_type="image/jpeg")


class Cdn:
    """The CDN handlers: each takes the request (behind the Referer check) and answers image bytes or 404."""

    #: whether no crawl calls these routes (False: pixiv endpoints a crawl calls; True: replica-only in the route table)
    replica_only = False

    def __init__(self, world: World, config: ReplicaConfig, images: ImageFactory) -> None:
        self.world = world
        self.config = config
        self.images = images

    def routes(self) -> dict[str, list[web.RouteDef]]:
        guarded = self._guarded
        return {
            IMAGE_HOST: [
                web.get(rf"/img-original/img/{DATE}/{{illust_id:\d+}}_p{{page:\d+}}.{{ext:jpg|png|gif}}",
                        guarded(self.original)),
                web.get(rf"/c/{{size:\d+x\d+[^/]*}}/img-master/img/{DATE}/{{illust_id:\d+}}_p{{page:\d+}}"
                        r"_{crop:master|square}1200.jpg", guarded(self.master)),
                web.get(rf"/img-master/img/{DATE}/{{illust_id:\d+}}_p{{page:\d+}}_master1200.jpg",
                        guarded(self.master)),
                web.get(rf"/img-zip-ugoira/img/{DATE}/{{illust_id:\d+}}_ugoira{{size:600x600|1920x1080}}.zip",
                        guarded(self.ugoira_zip)),
                web.get(r"/user-profile/img/{date:[\d/]+}/{user_id:\d+}_{hash:[0-9a-f]{32}(?:_170)?}.jpg",
                        guarded(self.avatar)),
                *(web.get(f"{prefix}/{kind}/img/{_COVER}", guarded(self.cover))
                  for kind in ("novel-cover-master", "illust-series-cover-original")
                  for prefix in ("/c/{size}", "")),
            ],
            STATIC_HOST: [web.get("/common/images/{name}", guarded(self.static))],
        }

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        not_found = self._guarded(self.not_found)
        return {host: [web.route("*", "/{tail:.*}", not_found)] for host in (IMAGE_HOST, STATIC_HOST)}

    @staticmethod
    def _guarded(handler: Callable[[web.Request], Awaitable[web.Response]]):
        """``handler`` behind the CDN's Referer check."""
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.Response:
            if not PIXIV_REFERER.match(request.headers.get("Referer", "")):
                return web.Response(status=403, text="403 Forbidden", content_type="text/html")
            return await handler(request)
        return guarded

    @staticmethod
    async def not_found(request: web.Request) -> web.Response:
        return _not_found()

    def _page(self, request: web.Request, variant: str, ext: str) -> web.Response:
        """The bytes of the page a work image URL names, in ``variant`` ("original" or a box such as "600x1200")."""
        m = request.match_info
        work = self.world.work(int(m["illust_id"]))
        page = int(m["page"])
        if work is None or page >= work.page_count or self.world.work_stamp(work.id) != m["date"] \
                or self.world.hiding("illust", work.id):  # a work hidden on purpose: its files are refused too
            return _not_found()
        if variant == "original" and ext != self.world.work_detail(work.id).ext:
            return _not_found()
        data, ctype = self.images.page(work.id, page, variant)
        return web.Response(body=data, content_type=ctype)

    async def original(self, request: web.Request) -> web.Response:
        return self._page(request, "original", request.match_info["ext"])

    async def master(self, request: web.Request) -> web.Response:
        size = request.match_info.get("size")
        box = "x".join(_BOX.match(size).groups()) if size else "1200x1200"
        return self._page(request, box, "jpg")

    async def ugoira_zip(self, request: web.Request) -> web.Response:
        m = request.match_info
        work = self.world.work(int(m["illust_id"]))
        if work is None or work.type != "ugoira" or self.world.work_stamp(work.id) != m["date"] \
                or self.world.hiding("illust", work.id):
            return _not_found()
        body = self.images.ugoira_zip(work.id, m["size"], len(self.config.ugoira_delays))
        return web.Response(body=body, content_type="application/zip")

    @staticmethod
    async def avatar(request: web.Request) -> web.Response:
        return _jpeg(ImageFactory.small(int(request.match_info["user_id"]), "avatar"))

    @staticmethod
    async def cover(request: web.Request) -> web.Response:
        return _jpeg(ImageFactory.small(len(request.path), "cover", 240, 320))

    @staticmethod
    async def static(request: web.Request) -> web.Response:
        """s.pximg.net ``/common/images/{name}``: a PNG or JPEG placeholder (360 px when the name says so)."""
        name = request.match_info["name"]
        if "." not in name:
            return _not_found()
        fmt = "png" if name.endswith(".png") else "jpg"
        size = 360 if "360" in name else 170
        return web.Response(body=ImageFactory.small(len(name), name.rsplit(".", 1)[0], size, size, fmt),
                            content_type=f"image/{'png' if fmt == 'png' else 'jpeg'}")
