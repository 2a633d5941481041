"""Send a peer's pixiv requests to the replica, as pixivcrawl's PIXIV_MIRROR does: below the peer's own
code, in ``requests``' transport adapter, a request for a pixiv host goes to the replica origin with the
host it was meant for in ``X-Forwarded-Host``. The peer itself is not changed: it still builds pixiv's
https URLs, sends its own headers and parses the answers. Runs in the peers' virtualenv."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests.adapters

PIXIV_HOSTS = {"app-api.pixiv.net", "oauth.secure.pixiv.net", "www.pixiv.net", "i.pximg.net", "s.pximg.net"}


def install(origin: str) -> None:
    scheme, netloc = urlsplit(origin)[:2]
    send = requests.adapters.HTTPAdapter.send

    def mirrored_send(self, request, *args, **kwargs):
        parts = urlsplit(request.url)
        if parts.hostname in PIXIV_HOSTS:
            request.headers["X-Forwarded-Host"] = parts.hostname
            request.url = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
        return send(self, request, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = mirrored_send
