"""Real image bytes for the replica's CDN: JPEG/PNG pages, ugoira frame zips, avatars and placeholders.

Images are drawn with Pillow from the work id, so the same URL always returns the same bytes (zip entries are
dated with the work's upload, not the current time); recent
results are kept in an LRU cache so that a benchmark measures the crawler, not Pillow, and, with ``--image-cache``,
in a folder that several replica runs share (a test session starts many replicas of the same world).
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from .world import EPOCH, World


def _colour(key: int) -> tuple[int, int, int]:
    return ((key * 97) % 200 + 30, (key * 57) % 200 + 30, (key * 151) % 200 + 30)


def draw(width: int, height: int, key: int, label: str, fmt: str) -> bytes:
    img = Image.new("RGB", (width, height), _colour(key))
    pen = ImageDraw.Draw(img)
    band = max(8, height // 12)
    for y in range(0, height, band * 2):
        pen.rectangle([0, y, width, y + band // 2], fill=_colour(key + y))
    pen.ellipse([width // 4, height // 4, width * 3 // 4, height * 3 // 4], outline=(255, 255, 255), width=4)
    pen.text((10, 10), label, fill=(255, 255, 255))
    out = io.BytesIO()
    if fmt == "png":
        img.save(out, "PNG", compress_level=1)
    else:
        img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _cached_on_disk(folder: Path, name: str, build: Callable[[], bytes]) -> bytes:
    """The bytes stored under ``folder/name``, built and stored first if missing (written atomically, so replicas
    sharing the folder never read half a file)."""
    path = folder / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = build()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    Path(tmp).replace(path)
    return data


class ImageFactory:
    """Builds and caches the bytes the CDN serves for one world (optionally also in ``cache``, a folder)."""

    def __init__(self, world: World, cache: Path | None = None) -> None:
        self.world = world
        self.cache = cache
        self.page = lru_cache(maxsize=4096)(self._page)
        self.ugoira_zip = lru_cache(maxsize=256)(self._ugoira_zip)

    def _stored(self, name: str, build: Callable[[], bytes]) -> bytes:
        if self.cache is None:
            return build()
        # a world is its seed and size; a re-upload changes the revision, and so the name
        return _cached_on_disk(self.cache, f"w{self.world.seed}-{self.world.n_works}-{name}", build)

    def forget(self) -> None:
        """Drop cached bytes (after a re-upload)."""
        self.page.cache_clear()
        self.ugoira_zip.cache_clear()

    def _page(self, wid: int, page: int, variant: str) -> tuple[bytes, str]:
        """variant: 'original' (true size, original extension) or a box like '600x1200' (JPEG)."""
        detail = self.world.work_detail(wid)
        width, height = detail.sizes[page]
        if variant == "original":
            fmt = detail.ext
        else:
            fmt = "jpg"
            bw, bh = (int(v) for v in variant.split("x"))
            scale = min(bw / width, bh / height, 1.0)
            width, height = max(1, int(width * scale)), max(1, int(height * scale))
        revision = self.world.revisions.get(wid, 0)
        data = self._stored(f"{wid}-p{page}-{variant}-r{revision}.{fmt}",
                            lambda: draw(width, height, wid + page + revision * 7, f"{wid} p{page} r{revision}", fmt))
        return data, "image/png" if fmt == "png" else "image/jpeg"

    def _ugoira_zip(self, wid: int, size: str, frames: int = 0) -> bytes:
        """The frame zip (``000000.jpg``, …): one JPEG per frame of the work, or ``frames`` of them when not 0
        (the ``ugoira_delays`` knob)."""
        revision = self.world.revisions.get(wid, 0)
        count = f"-f{frames}" if frames else ""
        return self._stored(f"{wid}-ugoira-{size}-r{revision}{count}.zip",
                            lambda: self._draw_ugoira_zip(wid, size, frames))

    def _draw_ugoira_zip(self, wid: int, size: str, frames: int = 0) -> bytes:
        detail = self.world.work_detail(wid)
        width, height = detail.sizes[0]
        if size == "1920x1080":
            width, height = width * 2, height * 2
        # every entry is dated with the upload of the work's images (JST, as pixiv's are), never the current
        # time: the same world gives the same bytes in every replica process
        stamp = (EPOCH + timedelta(seconds=self.world.upload_time(wid))).timetuple()[:6]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            revision = self.world.revisions.get(wid, 0)
            for k in range(frames or len(detail.frames)):
                entry = zipfile.ZipInfo(f"{k:06d}.jpg", date_time=stamp)
                entry.external_attr = 0o600 << 16  # what writestr gives a bare name: rw-------
                zf.writestr(entry, draw(width, height, wid + k * 13 + revision, f"{wid} f{k} r{revision}", "jpg"))
        return out.getvalue()

    @staticmethod
    @lru_cache(maxsize=256)
    def small(key: int, label: str, width: int = 170, height: int = 170, fmt: str = "jpg") -> bytes:
        return draw(width, height, key, label, fmt)
