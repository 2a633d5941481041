"""JSON responses of the replica, shared by its App API and web handlers."""

from __future__ import annotations

import orjson
from aiohttp import web


def json_response(data, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json", headers=headers)
