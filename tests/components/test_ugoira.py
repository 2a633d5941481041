"""UgoiraConvertPipeline: the GIF delay schedule, and hand-made frame zips converted to every
PIXIV_UGOIRA_FORMAT, read back frame by frame against the delays pixiv gave."""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import random
import zipfile

import pytest
from PIL import Image
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.items import MediaRecord
from pixivcrawl.pipelines.files import media_path
from pixivcrawl.pipelines.ugoira import GIF_MAX_CS, UgoiraConvertPipeline, gif_delays
from tests.animations import expected_durations, frame_colours, frame_delays, identical_runs
from tests.decorators import coroutine_test

from .helpers import illust_item, make_crawler, work_ids

FORMATS = ("webp", "apng", "gif")

# -- the GIF schedule ----------------------------------------------------------------------------------------


def assert_schedule(ms: list[int], cs: list[int]) -> None:
    """gif_delays' promises: one delay per frame, none under 2 cs, never behind the true elapsed time by more
    than 5 ms, and ahead by more than 5 ms only on a frame held at the minimum."""
    assert len(cs) == len(ms) and min(cs) >= 2
    true = shown = 0
    for delay, centiseconds in zip(ms, cs, strict=True):
        before = shown
        true, shown = true + delay, shown + centiseconds * 10
        assert shown >= true - 5, (ms, cs)
        assert shown <= max(true + 5, before + 20), (ms, cs)


def test_gif_schedule_of_odd_delays():
    """Case 10: 6, 6, 0 and 15 ms (27 ms) — four frames can play no faster than 4 × 2 cs."""
    assert gif_delays([6, 6, 0, 15]) == [2, 2, 2, 2]
    assert_schedule([6, 6, 0, 15], gif_delays([6, 6, 0, 15]))


@pytest.mark.parametrize("delay", [33, 25, 41, 67])
def test_gif_schedule_keeps_the_duration_of_long_runs(delay):
    ms = [delay] * 300
    cs = gif_delays(ms)
    assert_schedule(ms, cs)
    assert abs(sum(cs) * 10 - sum(ms)) <= 5  # 9,900 ms of 33 ms frames stay 9,900 ms, not 9,000 (3 cs each)
    assert set(cs) == {delay // 10, delay // 10 + 1}


def test_gif_schedule_of_16_ms_frames_is_the_minimum():
    """16 ms frames cannot keep their total: the 2 cs minimum makes each 20 ms, and no longer."""
    cs = gif_delays([16] * 300)
    assert cs == [2] * 300
    assert_schedule([16] * 300, cs)


def test_gif_schedule_keeps_whole_centiseconds():
    ms = [20, 30, 100, 1000, 60_000, 40, 70]
    assert gif_delays(ms) == [d // 10 for d in ms]


def test_gif_schedule_pays_the_minimums_lead_back():
    assert gif_delays([0, 0, 0, 100]) == [2, 2, 2, 4]  # 100 ms in all, as pixiv's
    assert gif_delays([6, 6, 0, 15, 100]) == [2, 2, 2, 2, 5]  # 127 ms → 130 ms


def test_gif_schedule_rules_hold_for_any_delays():
    rng = random.Random(12)
    for _ in range(500):
        ms = [rng.choice([0, 1, 4, 6, 9, 15, 16, 33, 45, 50, 99, 101, 250, 1005]) for _ in range(rng.randint(1, 40))]
        assert_schedule(ms, gif_delays(ms))


def test_gif_schedule_limits():
    assert gif_delays([]) == []
    assert gif_delays([700_000, 50, 1_000_000]) == [GIF_MAX_CS, 5, GIF_MAX_CS]  # the field's 16 bits; the cut
    assert gif_delays([3, 700_000, 44]) == [2, GIF_MAX_CS, 4]  # is not carried to the next frames
    with pytest.raises(ValueError, match="negative delay"):
        gif_delays([40, -10])


# -- the pipeline --------------------------------------------------------------------------------------------

BLACK, RED, BLUE, GREEN = (0, 0, 0), (220, 30, 30), (30, 30, 220), (30, 220, 30)
#: runs of identical frames (black, as a fade to black gives), which the writers merge into one longer frame
COLOURS = [BLACK, BLACK, BLACK, RED, RED, BLUE, BLACK]
DELAYS = [6, 6, 0, 15, 40, 1000, 33]
#: case 10's odd delays, on frames that all differ
ODD_COLOURS, ODD_DELAYS = [BLACK, RED, BLUE, GREEN], [6, 6, 0, 15]


def frame_zip(colours: list[tuple[int, int, int]], sizes: list[tuple[int, int]] | None = None) -> bytes:
    """An ugoira zip as pixiv serves it: ``000000.jpg``, ``000001.jpg``, … stored, one solid colour each."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for k, colour in enumerate(colours):
            frame = io.BytesIO()
            Image.new("RGB", sizes[k] if sizes else (48, 32), colour).save(frame, "JPEG", quality=95)
            zf.writestr(f"{k:06d}.jpg", frame.getvalue())
    return out.getvalue()


def ugoira_pipeline(tmp_path, fmt: str) -> UgoiraConvertPipeline:
    return build_from_crawler(UgoiraConvertPipeline,
                              make_crawler(PIXIV_UGOIRA_FORMAT=fmt, FILES_STORE=str(tmp_path / "files")))


def ugoira_with_zip(tmp_path, data: bytes, delays: list[int]):
    """An ugoira item whose frame zip the files pipeline has just stored."""
    item = illust_item(work_ids("ugoira")[0])
    item.ugoira_frames = [{"file": f"{k:06d}.jpg", "delay": delay} for k, delay in enumerate(delays)]
    url = item.ugoira_zip_url.replace("600x600", "1920x1080")
    path = media_path(item.id, "ugoira_zip", 0, url)
    (tmp_path / "files" / path).parent.mkdir(parents=True)
    (tmp_path / "files" / path).write_bytes(data)
    item.media = [MediaRecord.downloaded("ugoira_zip", 0, url, path, size=len(data),
                                         sha256=hashlib.sha256(data).hexdigest())]
    return item


def close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True))  # JPEG, WebP and 256 colours


def frames_of(delays: list[int]) -> list[dict]:
    return [{"file": f"{k:06d}.jpg", "delay": delay} for k, delay in enumerate(delays)]


def test_expected_durations_add_up_runs_of_identical_frames():
    """The test helper itself: runs of identical frames found from the zip's pixels, their delays added."""
    data = frame_zip(COLOURS)
    assert identical_runs(data, frames_of(DELAYS)) == [[0, 1, 2], [3, 4], [5], [6]]
    assert expected_durations(data, frames_of(DELAYS), "webp") == [12, 55, 1000, 33]
    assert gif_delays(DELAYS) == [2, 2, 2, 2, 2, 97, 3]
    assert expected_durations(data, frames_of(DELAYS), "gif") == [60, 40, 970, 30]
    assert expected_durations(frame_zip(ODD_COLOURS), frames_of(ODD_DELAYS), "apng") == ODD_DELAYS


@pytest.mark.parametrize("fmt", FORMATS)
@coroutine_test
async def test_identical_frames_are_merged_with_their_delays_added(tmp_path, fmt):
    pipeline = ugoira_pipeline(tmp_path, fmt)
    zip_bytes = frame_zip(COLOURS)
    item = ugoira_with_zip(tmp_path, zip_bytes, DELAYS)
    assert await pipeline.process_item(item) is item
    zip_media, converted = item.media
    assert zip_media.kind == "ugoira_zip"
    extension = {"webp": "webp", "apng": "png", "gif": "gif"}[fmt]
    assert converted.path == f"works/{item.id // 10**6:04d}/{item.id}/{item.id}_ugoira_{fmt}.{extension}"
    data = (tmp_path / "files" / converted.path).read_bytes()
    assert (converted.kind, converted.status, converted.page) == (f"ugoira_{fmt}", "converted", 0)
    assert converted.size == len(data) and converted.sha256 == hashlib.sha256(data).hexdigest()
    assert (converted.width, converted.height) == (48, 32)
    assert frame_delays(data) == expected_durations(zip_bytes, item.ugoira_frames, fmt)
    assert frame_delays(data) == ([60, 40, 970, 30] if fmt == "gif" else [12, 55, 1000, 33])
    colours = frame_colours(data)
    assert len(colours) == 4 and all(map(close, colours, [BLACK, RED, BLUE, BLACK]))
    assert pipeline.stats.get_value("pixiv/media/converted") == 1
    assert not list((tmp_path / "files").rglob("*.part"))


@pytest.mark.parametrize("fmt", FORMATS)
@coroutine_test
async def test_distinct_frames_keep_odd_delays_frame_by_frame(tmp_path, fmt):
    """Case 10: 6, 6, 0 and 15 ms on four different pictures. WebP and APNG hold them exactly (libwebp keeps a
    0 ms frame as 0 ms); a GIF holds the schedule, four frames of the 2 cs minimum."""
    zip_bytes = frame_zip(ODD_COLOURS)
    item = ugoira_with_zip(tmp_path, zip_bytes, ODD_DELAYS)
    await ugoira_pipeline(tmp_path, fmt).process_item(item)
    data = (tmp_path / "files" / item.media[1].path).read_bytes()
    assert frame_delays(data) == expected_durations(zip_bytes, item.ugoira_frames, fmt)
    assert frame_delays(data) == ([20, 20, 20, 20] if fmt == "gif" else [6, 6, 0, 15])
    colours = frame_colours(data)
    assert len(colours) == 4 and all(map(close, colours, ODD_COLOURS))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("colours", "delays"), [([RED], [70]), ([RED, RED, RED], [40, 20, 30])])
@coroutine_test
async def test_one_picture_is_a_still_webp_or_png(tmp_path, fmt, colours, delays):
    """One frame, or frames all alike: a still WebP or PNG (no frame delays in the file); a GIF's one frame keeps
    the delays added up."""
    item = ugoira_with_zip(tmp_path, frame_zip(colours), delays)
    await ugoira_pipeline(tmp_path, fmt).process_item(item)
    data = (tmp_path / "files" / item.media[1].path).read_bytes()
    assert frame_delays(data) == ([sum(delays)] if fmt == "gif" else [])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == {"webp": "WEBP", "apng": "PNG", "gif": "GIF"}[fmt]
        assert not getattr(image, "is_animated", False)
    colours = frame_colours(data)
    assert len(colours) == 1 and close(colours[0], RED)


@pytest.mark.parametrize(("data", "delays", "cause"), [
    (frame_zip([RED, BLUE]), [40, 40, 40], "There is no item named '000002.jpg'"),
    (frame_zip([RED, BLUE], sizes=[(48, 32), (32, 48)]), [40, 40], "frame 000001.jpg is 32x48, the first is 48x32"),
    (frame_zip([RED, BLUE]), [40, -40], "negative"),
    (b"PK\x03\x04 not a zip", [40], "File is not a zip file"),
])
@pytest.mark.parametrize("fmt", FORMATS)
@coroutine_test
async def test_a_zip_that_cannot_be_converted_is_logged_and_counted(tmp_path, caplog, fmt, data, delays, cause):
    await assert_conversion_fails(tmp_path, caplog, fmt, data, delays, cause)


@pytest.mark.parametrize(("fmt", "data", "delays", "cause"), [
    ("webp", frame_zip([RED, BLUE]), [20_000_000, 40], "a delay of 20000000 ms does not fit in a WebP frame"),
    ("apng", frame_zip([RED, BLUE]), [70_001, 40], "cannot write duration"),  # 70001/1000 s: 16-bit numerator
    ("gif", frame_zip([RED, RED]), [400_000, 400_000], "identical frames last longer than a GIF delay holds"),
])
@coroutine_test
async def test_a_delay_the_format_cannot_hold_is_logged_and_counted(tmp_path, caplog, fmt, data, delays, cause):
    await assert_conversion_fails(tmp_path, caplog, fmt, data, delays, cause)


async def assert_conversion_fails(tmp_path, caplog, fmt: str, data: bytes, delays: list[int], cause: str) -> None:
    pipeline = ugoira_pipeline(tmp_path, fmt)
    item = ugoira_with_zip(tmp_path, data, delays)
    before = [copy.copy(m) for m in item.media]
    with caplog.at_level(logging.ERROR, logger="pixivcrawl.pipelines.ugoira"):
        assert await pipeline.process_item(item) is item
    (record,) = [r for r in caplog.records if r.name == "pixivcrawl.pipelines.ugoira"]
    assert str(item.id) in record.getMessage() and cause in record.getMessage()
    assert pipeline.stats.get_value("pixiv/media/conversion_failed") == 1
    assert pipeline.stats.get_value("pixiv/media/converted") is None
    assert item.media == before
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [f"{item.id}_ugoira.zip"]


def test_the_format_setting(tmp_path):
    with pytest.raises(NotConfigured):
        ugoira_pipeline(tmp_path, "none")
    with pytest.raises(ValueError, match="PIXIV_UGOIRA_FORMAT must be one of none, webp, apng, gif, not 'mp4'"):
        ugoira_pipeline(tmp_path, "mp4")
    assert ugoira_pipeline(tmp_path, "apng").kind == "ugoira_apng"
