"""pixivcrawl: a Scrapy crawling framework for pixiv.

Documentation, in the repository's ``docs/``: ``docs/architecture.md`` (how a request and an item move through the
code, which component sees what in which order and why, where each pixiv endpoint, pipeline stage and setting
lives, and how to add an endpoint) and the reference lists ``docs/reference/settings.md``,
``docs/reference/meta.md`` (``Request.meta`` keys) and ``docs/reference/stats.md``, each checked against the code
by ``tests/test_reference_docs.py``. README.md has the user's guide.
"""

__version__ = "0.1.0"
