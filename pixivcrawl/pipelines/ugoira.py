"""Ugoira conversion pipeline: beside the lossless frame zip, an animated WebP or GIF with the true
per-frame delays (``PIXIV_UGOIRA_FORMAT`` = ``webp`` | ``gif``; ``none``, the default, switches it off).

Works on a local ``FILES_STORE``; Pillow runs in a thread so the crawl goes on meanwhile. The delays come
from the App API's ugoira metadata (stored in ``illusts.ugoira_frames``); the output is recorded in the
``media`` table as kind ``ugoira_webp`` / ``ugoira_gif`` with status ``converted``. A hidden record
(pixivcrawl.parsers.restriction.is_hidden) is never converted: it has no frames or zip of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import zipfile
from typing import Any

from PIL import Image
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pixivcrawl.items import IllustItem
from pixivcrawl.memory import local_store_root
from pixivcrawl.parsers.restriction import is_hidden
from pixivcrawl.pipelines.files import media_path, write_atomically

logger = logging.getLogger(__name__)
FORMATS = ("none", "webp", "gif")


def animate(zip_bytes: bytes, frames: list[dict[str, Any]], fmt: str) -> tuple[bytes, int, int]:
    """An animation of the zip's frames with the given delays (ms); returns (bytes, width, height)."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        images = [Image.open(io.BytesIO(zf.read(f["file"]))).convert("RGB") for f in frames]
    delays = [int(f["delay"]) for f in frames]
    out = io.BytesIO()
    if fmt == "webp":
        images[0].save(out, "WEBP", save_all=True, append_images=images[1:], duration=delays, loop=0, quality=90)
    else:
        palette = [im.convert("P", palette=Image.Palette.ADAPTIVE) for im in images]
        palette[0].save(out, "GIF", save_all=True, append_images=palette[1:], duration=delays, loop=0,
                        disposal=1, optimize=False)
    return out.getvalue(), images[0].width, images[0].height


class UgoiraConvertPipeline:
    def __init__(self, crawler: Crawler):
        self.format = crawler.settings.get("PIXIV_UGOIRA_FORMAT", "none")
        if self.format not in FORMATS:
            raise ValueError(f"PIXIV_UGOIRA_FORMAT must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.format == "none":
            raise NotConfigured  # off by default: no warning
        self.root = local_store_root(crawler.settings.get("FILES_STORE"))
        if self.root is None:
            raise NotConfigured("ugoira conversion needs a local FILES_STORE")
        self.stats = crawler.stats
        self.kind = f"ugoira_{self.format}"

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, IllustItem) or item.type != "ugoira" or not item.ugoira_frames or is_hidden(item):
            return item
        zips = [m for m in item.media if m["kind"] == "ugoira_zip" and m["status"] == "downloaded"]
        if not zips:
            return item  # nothing new downloaded: an earlier run converted it
        url = f"{zips[0]['url'].rsplit('.', 1)[0]}.{self.format}"
        relative = media_path(item.id, self.kind, 0, url)
        try:
            data, width, height = await asyncio.to_thread(
                animate, (self.root / zips[0]["path"]).read_bytes(), item.ugoira_frames, self.format)
            await asyncio.to_thread(write_atomically, self.root / relative, data)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            logger.error("Could not convert ugoira %s to %s: %s", item.id, self.format, exc)
            self.stats.inc_value("pixiv/media/conversion_failed")
            return item
        item.media.append({"kind": self.kind, "page": 0, "url": None, "path": relative, "size": len(data),
                           "width": width, "height": height, "sha256": hashlib.sha256(data).hexdigest(),
                           "status": "converted", "error": None})
        self.stats.inc_value("pixiv/media/converted")
        return item
