"""Ugoira conversion pipeline: beside the lossless frame zip, an animation with pixiv's per-frame delays
(``PIXIV_UGOIRA_FORMAT`` = ``webp`` | ``apng`` | ``gif``; ``none``, the default, switches it off).

The delays come from the App API's ugoira metadata (``/v1/ugoira/metadata`` → ``frames[].delay``, in ms,
stored as is in ``illusts.ugoira_frames``). What each format keeps of them:

- ``webp``: every delay exactly, in ms (a 0 ms frame is stored as 0); lossy frames (quality 90).
- ``apng``: every delay exactly (as ms/1000 s); lossless frames. Written as ``….png``.
- ``gif``: whole centiseconds, the schedule of :func:`gif_delays` (rounding error carried forward, no frame
  under 2 cs); frames of 256 colours each.

Every format holds one frame per pixiv frame, in the metadata's order, of the size of the first frame:
identical consecutive frames are not merged into one longer frame (as Pillow's writers and libwebp's
animation encoder do on their own), so frame ``k`` of the file has the delay of ``frames[k]``.

Works on a local ``FILES_STORE``; Pillow runs in a thread so the crawl goes on meanwhile. The output is
recorded in the ``media`` table as kind ``ugoira_webp`` / ``ugoira_apng`` / ``ugoira_gif`` with status
``converted``. A zip that cannot be converted (missing or unreadable frame, frames of different sizes, a
negative delay) is logged with its cause and counted in ``pixiv/media/conversion_failed``; nothing is
written for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

from PIL import GifImagePlugin, Image
from PIL.PngImagePlugin import Blend, Disposal
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pixivcrawl.items import IllustItem
from pixivcrawl.memory import local_store_root
from pixivcrawl.pipelines.files import media_path, write_atomically

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


def _chunk(tag: bytes, payload: bytes) -> bytes:
    """A RIFF chunk: fourcc, 32-bit little-endian size, payload, padding to an even size."""
    return tag + len(payload).to_bytes(4, "little") + payload + b"\0" * (len(payload) & 1)


def _riff_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(fourcc, payload) of each top-level chunk of a RIFF WEBP file."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("the WebP encoder wrote no RIFF WEBP file")
    pos = 12
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        yield tag, data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)


def _webp(images: list[Image.Image], delays: list[int], quality: int = 90) -> bytes:
    """An animated WebP (loops forever): each image encoded by Pillow as a still WebP, its bitstream put in an
    ANMF chunk with its delay in ms (24 bits: 0 to 16,777,215) and no blending or disposal. libwebp's own
    animation encoder is not used: it folds a frame identical to the one before into that frame's duration."""
    width, height = images[0].size
    frames, alpha = [], False
    for image, delay in zip(images, delays, strict=True):
        if delay > WEBP_MAX_MS:
            raise ValueError(f"a delay of {delay} ms does not fit in a WebP frame")
        still = io.BytesIO()
        image.save(still, "WEBP", quality=quality)
        chunks = [(tag, payload) for tag, payload in _riff_chunks(still.getvalue())
                  if tag in (b"ALPH", b"VP8 ", b"VP8L")]
        alpha = alpha or any(tag == b"ALPH" for tag, _ in chunks)
        header = (b"\0" * 6 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
                  + delay.to_bytes(3, "little") + bytes([0b10]))  # offset 0,0; do not blend; do not dispose
        frames.append(_chunk(b"ANMF", header + b"".join(_chunk(tag, payload) for tag, payload in chunks)))
    flags = 0b10 | (0b10000 if alpha else 0)  # animation (and alpha)
    vp8x = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    anim = b"\xff\xff\xff\xff" + (0).to_bytes(2, "little")  # white background, loop forever
    body = b"WEBP" + _chunk(b"VP8X", vp8x) + _chunk(b"ANIM", anim) + b"".join(frames)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _gif(images: list[Image.Image], delays_cs: list[int]) -> bytes:
    """An animated GIF (loops forever), one frame per image with its delay in cs, each frame whole with its own
    adaptive palette, disposal "do not dispose". Put together from Pillow's GIF header and frame writers:
    ``save_all`` would fold a frame identical to the one before into that frame."""
    frames = [image.convert("P", palette=Image.Palette.ADAPTIVE) for image in images]
    header, _ = GifImagePlugin.getheader(frames[0], info={"loop": 0})
    parts = list(header)
    for frame, cs in zip(frames, delays_cs, strict=True):
        # Pillow writes duration // 10 as the delay: cs * 10 is exactly cs
        parts += GifImagePlugin.getdata(frame, duration=cs * 10, disposal=1, include_color_table=True)
    parts.append(b";")
    return b"".join(parts)


def _apng(images: list[Image.Image], delays: list[int]) -> bytes:
    """An animated PNG (loops forever), one frame per image with its delay in ms. Pillow folds a frame that
    equals the one before into it when both have the same blend operation; the frames alternate between
    OP_SOURCE and OP_OVER, which draw an opaque frame alike. A single frame goes in as the default image
    plus a one-frame animation, so that it keeps its delay."""
    out = io.BytesIO()
    blend = [Blend.OP_OVER if k % 2 else Blend.OP_SOURCE for k in range(len(images))]
    single = len(images) == 1
    images[0].save(out, "PNG", save_all=True, append_images=images if single else images[1:],
                   default_image=single, duration=delays, loop=0, disposal=Disposal.OP_NONE, blend=blend)
    return out.getvalue()


def animate(zip_bytes: bytes, frames: list[dict[str, Any]], fmt: str) -> tuple[bytes, int, int]:
    """An animation of an ugoira zip's frames; returns (file bytes, width, height in px).

    ``frames``: pixiv's ``[{"file": "000000.jpg", "delay": 60}, …]`` (delays in ms), in playing order; ``fmt``:
    ``webp``, ``apng`` or ``gif`` (see the module docstring for what each keeps of the delays). Raises
    ``KeyError`` for a file missing from the zip, ``zipfile.BadZipFile``, ``OSError``/``ValueError`` for an
    unreadable frame, frames of different sizes, a negative delay or one the format cannot hold."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        images = [Image.open(io.BytesIO(zf.read(f["file"]))).convert("RGB") for f in frames]
    size = images[0].size
    for f, image in zip(frames, images, strict=True):
        if image.size != size:
            raise ValueError(f"frame {f['file']} is {image.width}x{image.height}, the first is {size[0]}x{size[1]}")
    delays = [int(f["delay"]) for f in frames]
    if fmt == "gif":
        data = _gif(images, gif_delays(delays))
    else:
        if any(delay < 0 for delay in delays):
            raise ValueError(f"negative frame delay in {delays}")
        data = _webp(images, delays) if fmt == "webp" else _apng(images, delays)
    return data, size[0], size[1]


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
        if not isinstance(item, IllustItem) or item.type != "ugoira" or not item.ugoira_frames:
            return item
        zips = [m for m in item.media if m["kind"] == "ugoira_zip" and m["status"] == "downloaded"]
        if not zips:
            return item  # nothing new downloaded: an earlier run converted it
        url = f"{zips[0]['url'].rsplit('.', 1)[0]}.{EXTENSIONS[self.format]}"
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
