"""pixivcrawl: a Scrapy crawling framework for pixiv."""

__version__ = "0.1.0"
