"""Components find each other through the crawler (``crawler.get_extension`` and the like), never through module
globals: the crawl memory (an extension the spiders and pipelines share), the Redis outage state, and the lease
tracker the Redis scheduler starts on the lease spider middleware."""

from __future__ import annotations

import pytest
from scrapy import Request, signals
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.db.memory import CrawlMemory, crawl_memory
from pixivcrawl.distributed.leases import LeaseSpiderMiddleware, LeaseTracker
from pixivcrawl.distributed.outage import RedisOutage, outage_of
from pixivcrawl.distributed.scheduler import RedisScheduler
from pixivcrawl.pipelines.dedupe import DedupePipeline
from pixivcrawl.pipelines.sql import SQLStoragePipeline
from pixivcrawl.signals import items_stored
from tests.conftest import REDIS_URL
from tests.decorators import coroutine_test

from .helpers import illust_item, isolate, make_crawler, store_items, work_ids


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


# -- the crawl memory ------------------------------------------------------------------------------------

def test_the_crawl_memory_is_one_extension_per_crawler_shared_by_spider_and_pipelines(tmp_path):
    url = f"sqlite:///{tmp_path / 'pixivcrawl.db'}"
    stored = illust_item(work_ids("manga", pages=2)[0])
    store_items(url, stored)

    crawler = make_crawler(DATABASE_URL=url, FILES_STORE=str(tmp_path / "files"))
    memory = crawler.get_extension(CrawlMemory)
    assert isinstance(memory, CrawlMemory) and crawl_memory(crawler) is memory
    assert (memory.url, memory.files_root) == (url, tmp_path / "files")
    pipeline = build_from_crawler(DedupePipeline, crawler)
    assert pipeline.memory is memory and crawler.spider.memory is memory
    assert crawl_memory(make_crawler(DATABASE_URL=url)) is not memory  # another crawl, another memory

    # what the database holds, and what the pipeline remembers, is what the spider sees
    assert pipeline.process_item(stored) is stored
    assert crawler.stats.get_value("pixiv/items/unchanged") == 1
    crawler.spider.incremental = True
    assert crawler.spider.known_unchanged(stored)
    other = illust_item(work_ids("manga", pages=2)[1])
    assert not crawler.spider.known_unchanged(other)
    pipeline.process_item(other)
    assert crawler.spider.known_unchanged(other) and crawler.stats.get_value("pixiv/items/new") == 1


def test_without_a_database_the_memory_remembers_this_crawl_only():
    crawler = make_crawler(DATABASE_URL="")
    pipeline = build_from_crawler(DedupePipeline, crawler)
    item = illust_item(work_ids("illust")[0])
    memory = crawl_memory(crawler)
    assert memory.works == {} and not memory.stored("illust", item.id)
    pipeline.process_item(item)
    assert memory.stored("illust", item.id) and crawler.stats.get_value("pixiv/items/new") == 1


def test_the_lookup_names_the_setting_when_the_memory_is_switched_off():
    crawler = make_crawler(EXTENSIONS={"pixivcrawl.db.memory.CrawlMemory": None})
    assert crawler.get_extension(CrawlMemory) is None
    with pytest.raises(RuntimeError, match=r"enable pixivcrawl\.db\.memory\.CrawlMemory in EXTENSIONS"):
        crawl_memory(crawler)
    with pytest.raises(RuntimeError, match="EXTENSIONS"):
        build_from_crawler(DedupePipeline, crawler)


def test_a_refused_crawl_builds_no_memory():
    """Bad settings switch pixivcrawl's components off (pixivcrawl.addon): the database is not read."""
    crawler = make_crawler(PIXIV_DB_BATCH_SIZE=0)
    assert crawler.get_extension(CrawlMemory) is None


# -- the Redis outage and the leases ----------------------------------------------------------------------

def test_the_outage_state_exists_only_in_a_distributed_crawl(redis_space):
    assert make_crawler().get_extension(RedisOutage) is None
    crawler = make_crawler(PIXIV_REDIS_URL=REDIS_URL, PIXIV_REDIS_PREFIX=redis_space.prefix)
    outage = crawler.get_extension(RedisOutage)
    assert isinstance(outage, RedisOutage) and outage_of(crawler) is outage and not outage.down


def distributed(redis_space, **settings):
    """A crawler with its engine (the add-on's Redis scheduler settings applied), and its Redis scheduler opened
    on a frontier of the test's own."""
    crawler = make_crawler(PIXIV_REDIS_URL=REDIS_URL, PIXIV_REDIS_PREFIX=redis_space.prefix,
                           PIXIV_FILES_IMAGE_SIZE="none", PIXIV_DB_AUTO_MIGRATE=False, **settings)
    crawler.engine = crawler._create_engine()
    scheduler = build_from_crawler(RedisScheduler, crawler)
    assert scheduler.outage is crawler.get_extension(RedisOutage)
    scheduler.open(crawler.spider)
    return crawler, scheduler


def test_the_scheduler_starts_the_tracker_on_the_lease_middleware(redis_space):
    crawler, scheduler = distributed(redis_space)
    leases = crawler.get_spider_middleware(LeaseSpiderMiddleware)
    assert isinstance(leases.tracker, LeaseTracker) and leases.tracker is scheduler.tracker
    scheduler.close("shutdown")
    assert leases.tracker is None


def test_without_the_lease_middleware_the_scheduler_names_it(redis_space):
    crawler = make_crawler(PIXIV_REDIS_URL=REDIS_URL, PIXIV_REDIS_PREFIX=redis_space.prefix,
                           PIXIV_FILES_IMAGE_SIZE="none",
                           SPIDER_MIDDLEWARES={"pixivcrawl.distributed.leases.LeaseSpiderMiddleware": None})
    crawler.engine = crawler._create_engine()
    with pytest.raises(ValueError, match="LeaseSpiderMiddleware in SPIDER_MIDDLEWARES"):
        build_from_crawler(RedisScheduler, crawler)


async def _scrape_one_item(crawler, scheduler) -> object:
    """Queue a request, take it from the frontier, and run its callback's output (one item) through the lease
    middleware; returns the item."""
    assert scheduler.enqueue_request(Request("https://app-api.pixiv.net/v1/illust/detail?illust_id=1"))
    request = scheduler.next_request()
    item = illust_item(work_ids("illust")[0])

    async def output():
        yield item

    leases = crawler.get_spider_middleware(LeaseSpiderMiddleware)
    response = Response(request.url, request=request)
    leases.process_spider_input(response)
    assert [x async for x in leases.process_spider_output(response, output())] == [item]
    return item


@pytest.mark.parametrize("sql", [True, False])
@coroutine_test
async def test_a_lease_waits_for_storage_only_when_the_sql_pipeline_is_on(redis_space, tmp_path, sql):
    url = f"sqlite:///{tmp_path / 'pixivcrawl.db'}" if sql else ""
    crawler, scheduler = distributed(redis_space, DATABASE_URL=url)
    assert (crawler.get_item_pipeline(SQLStoragePipeline) is not None) is sql
    try:
        item = await _scrape_one_item(crawler, scheduler)
        crawler.signals.send_catch_log(signal=signals.item_scraped, item=item, response=None, spider=crawler.spider)
        done = crawler.stats.get_value("pixiv/frontier/done")
        assert done == (None if sql else 1)  # with the SQL pipeline a scraped item is not yet stored
        crawler.signals.send_catch_log(signal=items_stored, items=[item])
        assert crawler.stats.get_value("pixiv/frontier/done") == 1
    finally:
        scheduler.close("shutdown")
