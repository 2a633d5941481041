"""JSON responses of the replica, shared by its App API, web and OAuth handlers."""

from __future__ import annotations

import orjson
from aiohttp import web


def json_response(data, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json", headers=headers)


def oauth_error(message: str, error: str = "invalid_grant") -> web.Response:
    """The token endpoint's refusal (HTTP 400), in pixiv's shape."""
    return json_response({"has_error": True, "errors": {"system": {"message": message, "code": 1508}},
                          "error": error}, 400)
