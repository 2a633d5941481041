"""What tells that a work changed: its page count and the upload stamp in its image URLs.

Every pixiv image URL of a work carries the date path of its last upload (``/img/YYYY/MM/DD/hh/mm/ss/``), in
originals, masters, thumbnails and novel covers alike; a re-upload moves it. So a listing's thumbnail and
the App API's whole record of the same work yield the same stamp, and a changed work yields a new one.
"""

from __future__ import annotations

import re

_STAMP = re.compile(r"/img/(\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d)/")


def image_stamp(*urls: str | None) -> str | None:
    """The upload stamp of the first URL that has one."""
    for url in urls:
        if isinstance(url, str) and (m := _STAMP.search(url)):
            return m.group(1)
    return None


def work_signature(item) -> tuple[str, int, tuple[int | None, str | None]] | None:
    """(kind, id, signature) of an illust or novel item; None for other items."""
    from pixivcrawl.items import IllustItem, NovelItem

    if isinstance(item, IllustItem):
        return "illust", item.id, (item.page_count, item.image_stamp)
    if isinstance(item, NovelItem):
        return "novel", item.id, (item.text_length, item.image_stamp)
    return None
