"""Reading back what an animation file holds, frame by frame: the delays as written in the file's own fields
(WebP ANMF durations, APNG fcTL delays, GIF graphic control delays), and each frame's pixels; and the delays
the file should hold for an ugoira zip and its frames."""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from typing import Any

from PIL import Image

from pixivcrawl.pipelines.ugoira import gif_delays


def _webp_durations(data: bytes) -> list[Fraction]:
    """ANMF chunks: a 24-bit little-endian duration in ms at payload offset 12."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    pos, out = 12, []
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if tag == b"ANMF":
            out.append(Fraction(int.from_bytes(data[pos + 20:pos + 23], "little")))
        pos += 8 + size + (size & 1)
    return out


def _apng_durations(data: bytes) -> list[Fraction]:
    """fcTL chunks: delay_num / delay_den seconds (a den of 0 means 100), as ms."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while pos + 8 <= len(data):
        size, tag = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        if tag == b"fcTL":
            body = data[pos + 8:pos + 8 + size]
            num, den = int.from_bytes(body[20:22], "big"), int.from_bytes(body[22:24], "big")
            out.append(Fraction(num * 1000, den or 100))
        pos += 12 + size
    return out


def frame_delays(data: bytes) -> list[Fraction]:
    """Each frame's delay in ms, exactly as the file stores it."""
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "WEBP":
            return _webp_durations(data)
        if image.format == "PNG":
            return _apng_durations(data)
        assert image.format == "GIF", image.format
        delays = []
        for k in range(image.n_frames):
            image.seek(k)
            delays.append(Fraction(image.info["duration"]))  # Pillow reads the delay field (cs) times 10
        return delays


def frame_colours(data: bytes, at: tuple[int, int] = (2, 2)) -> list[tuple[int, int, int]]:
    """The colour of one pixel of each animation frame, decoded by Pillow."""
    out = []
    with Image.open(io.BytesIO(data)) as image:
        for k in range(getattr(image, "n_frames", 1)):
            image.seek(k)
            out.append(image.convert("RGB").getpixel(at))
    return out


def identical_runs(zip_bytes: bytes, frames: list[dict[str, Any]]) -> list[list[int]]:
    """The indexes of ``frames`` grouped into runs of consecutive frames whose decoded pixels are identical."""
    runs: list[list[int]] = []
    previous = None
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for k, frame in enumerate(frames):
            with Image.open(io.BytesIO(zf.read(frame["file"]))) as image:
                pixels = image.convert("RGB").tobytes()
            if runs and pixels == previous:
                runs[-1].append(k)
            else:
                runs.append([k])
            previous = pixels
    return runs


def expected_durations(zip_bytes: bytes, frames: list[dict[str, Any]], fmt: str) -> list[int]:
    """The delay in ms of each frame the ``fmt`` file should hold: pixiv's delays (for ``gif`` the
    :func:`gif_delays` schedule, as ms) added up over each run of identical frames, which the writers merge."""
    delays = [f["delay"] for f in frames]
    if fmt == "gif":
        delays = [cs * 10 for cs in gif_delays(delays)]
    return [sum(delays[k] for k in run) for run in identical_runs(zip_bytes, frames)]
