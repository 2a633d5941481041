"""pixivcrawl.downloader.PixivDownloader: a download slot's concurrency holds on the asyncio reactor.

A local HTTP server counts the requests it is answering at once while a spider queues several requests for one
slot in the same loop iteration (with Scrapy 2.19's own Downloader all of them reach the server together).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from tests.decorators import coroutine_test

ANSWER_SECONDS = 0.1


class CountingServer(ThreadingHTTPServer):
    """Answers every GET after ANSWER_SECONDS; ``most`` is the most requests it was answering at once."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.now = self.most = self.answered = 0


class _Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.now += 1
            self.server.most = max(self.server.most, self.server.now)
        time.sleep(ANSWER_SECONDS)
        with self.server.lock:
            self.server.now -= 1
            self.server.answered += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[CountingServer]:
    srv = CountingServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


class BurstSpider(Spider):
    """Queues ``count`` requests for the server's slot at once."""

    name = "burst"

    def __init__(self, url: str, count: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.url, self.count = url, count

    async def start(self):
        for n in range(self.count):
            yield Request(f"{self.url}/{n}", dont_filter=True)

    def parse(self, response):
        return None


@pytest.mark.parametrize("concurrency", [1, 3])
@coroutine_test
async def test_a_slot_never_has_more_requests_on_the_wire_than_its_concurrency(server, concurrency):
    host, port = server.server_address[:2]
    crawler = get_crawler(BurstSpider, {
        "DOWNLOADER": "pixivcrawl.downloader.PixivDownloader",
        "DOWNLOAD_SLOTS": {host: {"concurrency": concurrency, "delay": 0}},
        "LOG_LEVEL": "WARNING",
    })
    await crawler.crawl_async(url=f"http://{host}:{port}", count=3 * concurrency + 2)
    assert server.answered == 3 * concurrency + 2
    assert server.most == concurrency
    assert crawler.stats.get_value("downloader/response_count") == server.answered
