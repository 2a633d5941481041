"""Scrapy settings for pixivcrawl.

Every setting pixivcrawl reads or sets is documented in docs/reference/settings.md, the one place that lists
them (tests/test_reference_docs.py checks it against the code). Settings can be given with ``-s NAME=VALUE``; the
credentials, ``PIXIV_MIRROR``, ``DATABASE_URL`` and ``PIXIV_REDIS_URL`` are also read from the environment. A
component's settings share one prefix (``PIXIV_THROTTLE_*``, ``PIXIV_FILES_*``, …); the old names still work, with a
deprecation warning (pixivcrawl.deprecations).
"""

import os

from pixivcrawl import collector as _collector

_collector.starting()  # fewer collections while the crawl starts (pixivcrawl.collector)

# The download handler's modules, imported here, where the stack is shallow and few modules are loaded: Scrapy's
# deprecated TLS class aliases call inspect.stack() when they are made, whose cost grows with the stack's depth and
# the number of modules loaded (python/cpython#92041): ~0.09 s of CPU inside the running crawl (where the add-on's
# PIXIV_MIRROR check first imported the handler), ~0.04 s here.
import scrapy.core.downloader.contextfactory  # noqa: E402 - after starting(): imported for its cost
import scrapy.core.downloader.handlers.http11  # noqa: E402, F401 - imported for its cost, not a name

from pixivcrawl import db as _db  # noqa: E402

BOT_NAME = "pixivcrawl"
SPIDER_MODULES = ["pixivcrawl.spiders"]
SPIDER_LOADER_CLASS = "pixivcrawl.spiders.loader.PixivSpiderLoader"  # imports a spider's module when it is loaded
NEWSPIDER_MODULE = "pixivcrawl.spiders"
COMMANDS_MODULE = "pixivcrawl.commands"  # `scrapy crawl` exits non-zero when the crawl did not do its job
ADDONS = {"pixivcrawl.addon.PixivAddon": 0}

ROBOTSTXT_OBEY = False  # API endpoints, not pages
LOG_LEVEL = "INFO"  # default DEBUG
TELNETCONSOLE_ENABLED = False  # default True: a local code-execution surface
REMOTE_CONTROL_ENABLED = False  # default True since 2.19: a local code-execution surface
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy's Crawled/Scraped/Dropped messages not made at all below LOG_LEVEL (pixivcrawl.logformatter)
LOG_FORMATTER = "pixivcrawl.logformatter.LevelLogFormatter"
# default True: Scrapy parses a generator callback's source on every response to warn about a returned value;
# tests/test_spider_callbacks.py makes that check once for every spider
WARN_ON_GENERATOR_RETURN_VALUE = False

# Concurrency. Per-host budgets (DOWNLOAD_SLOTS) are derived by pixivcrawl.addon from PIXIV_API_CONCURRENCY
# and PIXIV_CDN_CONCURRENCY, and paced by the throttle (PIXIV_THROTTLE_*): by default about one metadata request
# per second per API, and parallel image downloads.
CONCURRENT_REQUESTS = 16  # default 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8  # default 8
# default 100: Scrapy starts that many tasks per response, even one that yields nothing (~0.9 ms); a page of 30
# works still fills PIXIV_CDN_CONCURRENCY. Jobs 1 and 3 of bench/peers.py: 0.93x and 0.97x CPU, job 2 the same CPU
# and 0.80x peak RSS (bench/ab.py -s CONCURRENT_ITEMS=8)
CONCURRENT_ITEMS = 8
PIXIV_API_CONCURRENCY = 1
PIXIV_CDN_CONCURRENCY = 8
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]  # default also has 429: rate limits are not plain errors
RETRY_TIMES = 5  # default 2; each retry waits PIXIV_RETRY_BACKOFF * 2^(n-1) seconds

# Rate limits (pixivcrawl.middlewares.throttle): requests per second per API (0: unlimited). PIXIV_API_DELAY
# (seconds) is deprecated: it sets the App API and web rates to 1 / delay.
PIXIV_THROTTLE_APP_RATE = 1.0
PIXIV_THROTTLE_WEB_RATE = 1.0
PIXIV_THROTTLE_CDN_RATE = 0  # unlimited: image downloads run in parallel (PIXIV_CDN_CONCURRENCY)
PIXIV_THROTTLE_BURST = 1
PIXIV_THROTTLE_POLICY = "wait"  # wait | skip | stop
PIXIV_THROTTLE_STOP_AFTER = 3
PIXIV_THROTTLE_WINDOW = 60.0  # pixiv's limits count requests over 1-2 minutes
PIXIV_THROTTLE_SAFETY = 0.95
PIXIV_THROTTLE_BACKOFF_BASE = 60.0
PIXIV_THROTTLE_BACKOFF_MAX = 900.0
PIXIV_THROTTLE_FLOOR = 0.05  # requests/s: the least a rate limit lowers a budget to
PIXIV_THROTTLE_INCREASE = 0.05  # × the rate pixiv accepted at the last limit, added after each quiet spell
PIXIV_THROTTLE_RECOVERY = None  # seconds without a limit before each increase (None: 10 × PIXIV_THROTTLE_WINDOW)
PIXIV_RETRY_BACKOFF = 1.0  # seconds before the first retry of a request (pixivcrawl.middlewares.backoff)

# JOBDIR (pause/resume, and resume after a hard kill): crash-safe SQLite queues. pixivcrawl's spiders need
# no request dupefilter (listings are walked, not discovered), so a resumed crawl walks its listings
# again and fetches only what the database does not hold yet.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleLifoSQLiteQueue"
SCHEDULER_START_DISK_QUEUE = "scrapy.squeues.PickleFifoSQLiteQueue"
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
COOKIES_ENABLED = True

# Scrapy's downloader, with each slot's concurrency enforced on the asyncio reactor (see pixivcrawl.downloader)
DOWNLOADER = "pixivcrawl.downloader.PixivDownloader"
DOWNLOAD_HANDLERS = {
    "http": "pixivcrawl.mirror.MirrorDownloadHandler",
    "https": "pixivcrawl.mirror.MirrorDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # on the way back it is the last to see a response, after Retry (550): a rate limit is its, not Retry's (the
    # budget itself is waited for by the download handler, after the download slot let the request go)
    "pixivcrawl.middlewares.throttle.PixivThrottleMiddleware": 540,
    # a retried request waits before it goes out again: after the headers, before auth adds the credentials (where
    # the throttle waited, at 540), so the access token is taken after the wait
    "pixivcrawl.middlewares.backoff.RetryBackoffMiddleware": 545,
    "pixivcrawl.middlewares.headers.PixivHeadersMiddleware": 520,  # after UserAgentMiddleware (500)
    "pixivcrawl.middlewares.bodycheck.PixivBodyCheckMiddleware": 560,  # sees bodies before Retry (550)
    # closest to the downloader: adds credentials last and strips them from the request first, so they
    # never reach the scheduler, the JOBDIR queues or a retried copy of the request
    "pixivcrawl.middlewares.auth.PixivAuthMiddleware": 950,
}
ITEM_PIPELINES = {
    "pixivcrawl.pipelines.dedupe.DedupePipeline": 100,  # cheap filter first: dropped items cost nothing
    "pixivcrawl.pipelines.files.PixivFilesPipeline": 300,
    "pixivcrawl.pipelines.ugoira.UgoiraConvertPipeline": 350,
    "pixivcrawl.pipelines.sql.SQLStoragePipeline": 800,
}
EXTENSIONS = {
    # the database as the crawl's memory (works and files of earlier runs): spiders and pipelines find it through
    # the crawler (pixivcrawl.db.memory.crawl_memory)
    "pixivcrawl.db.memory.CrawlMemory": 100,
    # with PIXIV_REDIS_URL: whether Redis answers, shared by the scheduler and the shared budgets
    "pixivcrawl.distributed.outage.RedisOutage": 110,
    "pixivcrawl.extensions.progress.ProgressExtension": 500,
    "pixivcrawl.extensions.summary.SummaryExtension": 505,  # before the stats file: it adds pixiv/exit_code
    "pixivcrawl.extensions.stats_file.StatsFileExtension": 510,
}

# Where requests go: an origin such as http://127.0.0.1:8321 sends every pixiv request to a replica.
PIXIV_MIRROR = os.environ.get("PIXIV_MIRROR", "")

# Credentials: from these settings, the environment, or PIXIV_CREDENTIALS_FILE (mode 0600).
PIXIV_REFRESH_TOKEN = ""
PIXIV_PHPSESSID = ""
PIXIV_CREDENTIALS_FILE = ""
PIXIV_AUTH_REFRESH_MARGIN = 60.0
PIXIV_HEADERS_ACCEPT_LANGUAGE = "en-us"

# Storage
DATABASE_URL = os.environ.get("DATABASE_URL", _db.DEFAULT_DATABASE_URL)  # empty: no storage (pipelines.sql)
PIXIV_DB_BATCH_SIZE = 500
PIXIV_DB_FLUSH_INTERVAL = 5.0
PIXIV_DB_AUTO_MIGRATE = True

# Files
FILES_STORE = "files"
PIXIV_FILES_IMAGE_SIZE = "original"
PIXIV_FILES_IMAGE_TYPES = ["illust", "manga", "ugoira"]
PIXIV_UGOIRA_FORMAT = "none"
PIXIV_FILES_MAX_ERRORS = 20  # files in a row the store fails to write (same OS error) before storage_failed
MEDIA_ALLOW_REDIRECTS = False

# Incremental crawls: a listing stops after this many known, unchanged works in a row
PIXIV_INCREMENTAL_STOP = 30

# Distributed crawls: workers sharing a frontier and the account budgets in Redis (empty: one process)
PIXIV_REDIS_URL = os.environ.get("PIXIV_REDIS_URL", "")
PIXIV_REDIS_PREFIX = "pixivcrawl"
PIXIV_REDIS_FRONTIER = ""  # default: the spider's name and a digest of its arguments
PIXIV_REDIS_LEASE_SECONDS = 60.0
PIXIV_REDIS_OUTAGE_MAX = 300.0  # seconds without Redis before a worker stops (frontier_lost)

PIXIV_PROGRESS = False
PIXIV_STATS_FILE = ""
