"""Ugoira conversion pipeline: beside the lossless frame zip, an animation with pixiv's per-frame delays
(``PIXIV_UGOIRA_FORMAT`` = ``webp`` | ``apng`` | ``gif``; ``none``, the default, switches it off).

The delays come from the App API's ugoira metadata (``/v1/ugoira/metadata`` → ``frames[].delay``, in ms,
stored as is in ``illusts.ugoira_frames``).

The files are written by Pillow's animation writers (``save_all``; they loop forever). Each frame of the
file is a run of consecutive pixiv frames with identical pictures, shown for the run's delays added up: the
writers merge such frames, which keeps both the picture and the timing. What each format keeps of the delays:

- ``webp``: exact ms, 0 included (libwebp stores a 0 ms frame as 0 ms; the field holds up to 16,777,215 ms,
  a longer delay fails the conversion); lossy frames (quality 90). libwebp's lossy encoder also counts a
  frame that differs from the one before by no more than its lossy tolerance (at quality 90, 3 of 255 per
  channel) as identical and merges it.
- ``apng``: exact ms, 0 included (as a fraction of seconds with 16-bit numerator and denominator: any delay
  up to 65,535 ms fits; a longer one that does not fails the conversion); lossless frames. Written as
  ``….png``.
- ``gif``: whole centiseconds, the schedule of :func:`gif_delays` (rounding error carried forward, no frame
  under 2 cs), summed over each run of identical frames; frames of 256 colours each, and frames equal once
  reduced to them are merged too. A run longer than 655.35 s fails the conversion.

A work whose frames are all the same picture (one frame, say) is written as a still WebP or PNG (a GIF of one
frame keeps its delay): a loop of one picture has no timing to keep.

Works on a local ``FILES_STORE``; Pillow runs in a thread so the crawl goes on meanwhile. The output is
recorded in the ``media`` table as kind ``ugoira_webp`` / ``ugoira_apng`` / ``ugoira_gif`` with status
``converted``. A zip that cannot be converted (missing or unreadable frame, frames of different sizes, a
negative delay, a delay the format cannot hold) is logged with its cause and counted in
``pixiv/media/conversion_failed``; nothing is written for it. A hidden record
(pixivcrawl.parsers.restriction.is_hidden) is never converted: it has no frames or zip of its own.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from collections.abc import Sequence
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pixivcrawl.db.memory import crawl_memory, local_store_root
from pixivcrawl.items import IllustItem, MediaRecord
from pixivcrawl.parsers.restriction import is_hidden
from pixivcrawl.pipelines.files import media_path
from pixivcrawl.pipelines.filestore import write_atomically

logger = logging.getLogger(__name__)
FORMATS = ("none", "webp", "apng", "gif")
#: file extension of each format's output
EXTENSIONS = {"webp": "webp", "apng": "png", "gif": "gif"}
#: no GIF frame is shorter: browsers play a delay of 0 or 1 cs as 10 cs
GIF_MIN_CS = 2
#: a GIF delay is a 16-bit count of centiseconds
GIF_MAX_CS = 0xFFFF
#: a WebP frame duration is a 24-bit count of ms
WEBP_MAX_MS = 0xFFFFFF


def gif_delays(ms: Sequence[int]) -> list[int]:
    """GIF frame delays in centiseconds (one per frame) for pixiv frame delays in ms.

    Frame ``k`` gets the whole number of cs that brings the GIF's elapsed time ``E[k]`` (the sum of the
    delays of frames ``0..k``) closest to the true elapsed time ``T[k] = ms[0] + … + ms[k]`` (halves round
    up). The rounding error is carried forward instead of piling up, so ``T[k] - 5 <= E[k] <= T[k] + 5`` ms
    for every ``k`` — except where the minimum applies.

    The minimum: no frame gets less than :data:`GIF_MIN_CS` (2 cs), since browsers play 0 and 1 cs as 10 cs.
    A frame held at the minimum puts the GIF ahead of the true time; the frames after it pay the lead back
    (they get less than their own share) as far as the minimum lets them. So the GIF never falls behind by
    more than 5 ms, and runs ahead only by what the minimum forces: ``E[k] <= max(T[k] + 5, E[k-1] + 20)``.
    The total likewise exceeds the true total only by what the minimum forces: ``[6, 6, 0, 15]`` (27 ms)
    gives ``[2, 2, 2, 2]`` (80 ms, the shortest four frames can play), a run of 16 ms frames gives 2 cs
    each, a run of 33 ms frames gives 3, 4, 3, 3, 4, 3, … (the total within 5 ms), and delays that are whole
    cs of at least 2 are kept as they are.

    A delay above :data:`GIF_MAX_CS` (655.35 s, the field's 16 bits) is cut to it, and the time cut is not
    carried to the next frames (they keep their own length). Raises ``ValueError`` for a negative delay.
    """
    out: list[int] = []
    true_ms = shown_ms = 0
    for k, delay in enumerate(ms):
        if delay < 0:
            raise ValueError(f"frame {k} has a negative delay ({delay} ms)")
        true_ms += delay
        cs = max((true_ms - shown_ms + 5) // 10, GIF_MIN_CS)
        if cs > GIF_MAX_CS:
            cs, shown_ms = GIF_MAX_CS, true_ms  # cut, and counted from here on as if on time
        else:
            shown_ms += cs * 10
        out.append(cs)
    return out


#: Pillow's name of each format's writer
WRITERS = {"webp": "WEBP", "apng": "PNG", "gif": "GIF"}


def animate(zip_bytes: bytes, frames: list[dict[str, Any]], fmt: str) -> tuple[bytes, int, int]:
    """An animation of an ugoira zip's frames, written by Pillow; returns (file bytes, width, height in px).

    ``frames``: pixiv's ``[{"file": "000000.jpg", "delay": 60}, …]`` (delays in ms), in playing order; ``fmt``:
    ``webp``, ``apng`` or ``gif`` (see the module docstring for what each keeps of the delays; identical
    consecutive frames become one frame with their delays added). Raises ``KeyError`` for a file missing from
    the zip, ``zipfile.BadZipFile``, ``OSError``/``ValueError`` for an unreadable frame, frames of different
    sizes, a negative delay or a delay the format cannot hold."""
    from PIL import Image  # here: a crawl that converts no ugoira never imports Pillow

    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        images = [Image.open(io.BytesIO(zf.read(f["file"]))).convert("RGB") for f in frames]
    size = images[0].size
    for f, image in zip(frames, images, strict=True):
        if image.size != size:
            raise ValueError(f"frame {f['file']} is {image.width}x{image.height}, the first is {size[0]}x{size[1]}")
    delays = [int(f["delay"]) for f in frames]
    options: dict[str, Any] = {"duration": delays}
    if fmt == "gif":
        # Pillow writes duration // 10 as the delay in cs: cs * 10 ms is exactly cs, and so are sums of them
        options["duration"] = [cs * 10 for cs in gif_delays(delays)]
    elif any(delay < 0 for delay in delays):
        raise ValueError(f"negative frame delay in {delays}")
    elif fmt == "webp":
        if max(delays) > WEBP_MAX_MS:
            raise ValueError(f"a delay of {max(delays)} ms does not fit in a WebP frame")
        options.update(lossless=False, quality=90)
    out = io.BytesIO()
    try:
        images[0].save(out, WRITERS[fmt], save_all=True, append_images=images[1:], loop=0, **options)
    except OverflowError as exc:  # GIF: identical frames whose delays added up exceed the 16-bit field
        raise ValueError(f"identical frames last longer than a GIF delay holds (655.35 s): {exc}") from exc
    return out.getvalue(), size[0], size[1]


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
        self.crawler = crawler
        self.stats = crawler.stats
        self.memory = crawl_memory(crawler)  # the zips and animations earlier runs stored
        self.kind = f"ugoira_{self.format}"

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, IllustItem) or item.type != "ugoira" or not item.ugoira_frames or is_hidden(item):
            return item
        frames = next((m for m in item.media if m.kind == "ugoira_zip" and m.status == "downloaded"), None)
        if frames is None:  # the zip is an earlier run's: convert it unless that run wrote this format too
            if self.memory.stored_media(item.id, self.kind, 0) is not None:
                return item
            frames = self.memory.stored_media(item.id, "ugoira_zip", 0)
            if frames is None:
                return item  # no zip (images off, or its download failed)
        url = f"{frames.url.rsplit('.', 1)[0]}.{EXTENSIONS[self.format]}"
        relative = media_path(item.id, self.kind, 0, url)
        try:
            data, width, height = await asyncio.to_thread(
                animate, (self.root / frames.path).read_bytes(), item.ugoira_frames, self.format)
            await asyncio.to_thread(write_atomically, self.root / relative, data)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            logger.error("Could not convert ugoira %s to %s: %s", item.id, self.format, exc)
            self.stats.inc_value("pixiv/media/conversion_failed")
            return item
        media = MediaRecord.converted(self.kind, relative, data, width, height)
        self.memory.remember_file(item.id, media)
        item.media.append(media)
        self.stats.inc_value("pixiv/media/converted")
        return item
