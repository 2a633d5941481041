"""pixivcrawl's own signals (sent with ``crawler.signals``)."""

#: the SQL pipeline wrote a batch: ``items`` (a list) are stored, or were refused by the database and logged
items_stored = object()
