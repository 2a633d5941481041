"""Distributed crawling: several workers (processes, hosts) share one frontier and one account's budgets
in Redis, and one database (PostgreSQL).

- ``frontier``: the shared request queue, its dupefilter and the leases of requests in flight (Redis).
- ``scheduler``: the Scrapy scheduler on top of it (``SCHEDULER`` when ``PIXIV_REDIS_URL`` is set).
- ``leases``: when a worker has finished with a request — its callback ran and the items it produced are
  in the database — so its lease can be released; a worker that dies leaves leases that expire.
- ``budget``: request budgets of one account shared by every worker (pixivcrawl.middlewares.throttle).
"""
