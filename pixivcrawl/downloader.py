"""pixivcrawl's downloader: Scrapy's, with each download slot's concurrency enforced.

Scrapy 2.19 on the asyncio reactor starts a slot's downloads as tasks and counts a request as transferring only
once its task runs, so ``Downloader._process_queue`` hands every request queued in the same loop iteration to the
download handler at once: with ``DOWNLOAD_SLOTS`` concurrency 1, five requests were on the wire together
(checked against Scrapy 2.19.0). pixiv's API slots rely on that limit (``PIXIV_API_CONCURRENCY``), so the slot is
reserved when the download is scheduled, not when it starts. Enabled by ``DOWNLOADER`` in pixivcrawl.settings.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Response
from twisted.internet.defer import Deferred


class PixivDownloader(Downloader):
    def _wait_for_download(self, slot: Slot, request: Request,
                           queue_dfd: Deferred[Response]) -> Coroutine[Any, Any, None]:
        # counted now, while _process_queue is still deciding how many to start; Scrapy's _download adds the same
        # request again (a set) and removes it when the download ends
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)
