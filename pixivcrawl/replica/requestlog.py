"""The replica's request log: one entry per request for a pixiv host, which tests and the demo read through the
control API (``GET /_replica/requests?since=n``, ``POST /_replica/requests/clear``).

An entry is a JSON object: ``t`` (seconds since the replica started), ``host`` (the pixiv host asked for),
``method``, ``path``, ``query`` (the raw query string), ``referer``, ``auth`` ("bearer", "cookie" or null),
``account`` (the user id of the account the credentials belong to, else null), ``status`` (null when the connection
was dropped on purpose) and ``fault`` (the fault or block that answered, else null); the OAuth token endpoint adds
``grant`` (its ``grant_type``) and a rate-limited answer adds ``limited: true``. Handlers add their fields with
:func:`note`; the server's layer (``pixivcrawl.replica.server``) opens and closes each entry.
"""

from __future__ import annotations

import time
from collections import deque

from aiohttp import web

#: where a request being answered keeps its log entry
LOG_ENTRY = web.RequestKey("replica_log_entry", dict)


def note(request: web.Request, **fields: object) -> None:
    """Add ``fields`` (``account``, ``grant``, ``limited``) to the log entry of ``request`` (when it has one:
    control requests are not logged)."""
    entry = request.get(LOG_ENTRY)
    if entry is not None:
        entry.update(fields)


class RequestLog:
    """The last ``limit`` entries, and how many there were since the start (or the last :meth:`clear`)."""

    def __init__(self, limit: int) -> None:
        self._entries: deque[dict] = deque(maxlen=limit)
        #: entries logged so far, those dropped off the front of the log included
        self.total = 0
        self.started = time.monotonic()

    def open(self, request: web.BaseRequest, host: str) -> dict:
        """A new entry for ``request`` sent to pixiv host ``host`` (not logged until :meth:`append`)."""
        return {
            "t": round(time.monotonic() - self.started, 4),
            "host": host,
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "referer": request.headers.get("Referer"),
            "auth": "bearer" if "Authorization" in request.headers else (
                "cookie" if "PHPSESSID" in request.cookies else None),
            "account": None,
            "status": None,
            "fault": None,
        }

    def append(self, entry: dict) -> None:
        self._entries.append(entry)
        self.total += 1

    def since(self, index: int) -> list[dict]:
        """The entries from the ``index``-th on (0: the oldest still kept)."""
        skipped = self.total - len(self._entries)
        return list(self._entries)[max(0, index - skipped):]

    def clear(self) -> None:
        self._entries.clear()
        self.total = 0
