"""pixivcrawl's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` exits with a code that says how the crawl went."""
