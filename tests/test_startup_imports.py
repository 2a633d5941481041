"""What a run imports: only what it uses (issue 16, start-up). Each case runs in a new process and prints which of
the heavy modules it imported; bench/startup.py measures the time this saves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: modules a crawl without Redis, with a database at the newest schema, of no images (PIL), never needs
HEAVY = ("redis", "aiohttp", "alembic", "scrapy.extensions.remote_control", "scrapy.extensions.telnet",
         "pixivcrawl.replica", "pixivcrawl.spiders.ranking", "pixivcrawl.spiders.search", "PIL", "tqdm")

REPORT = ("import atexit, json, sys\n"
          "heavy = {heavy!r}\n"
          "atexit.register(lambda: print('IMPORTED=' + json.dumps(sorted(m for m in heavy if m in sys.modules))))\n")


def _imported(code: str, env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", REPORT.format(heavy=HEAVY) + code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT, env={**os.environ, **(env or {})})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("IMPORTED=")]
    assert lines, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return json.loads(lines[-1].removeprefix("IMPORTED="))


@pytest.fixture
def database_at_head(tmp_path) -> str:
    from pixivcrawl.db.store import Store

    url = f"sqlite:///{tmp_path / 'pixivcrawl.db'}"
    store = Store(url)
    store.upgrade()
    store.dispose()
    return url


def test_a_crawl_imports_neither_redis_nor_alembic_nor_other_spiders(tmp_path, database_at_head):
    # a crawl refused for its argument: it starts as every crawl does (add-on, extensions, pipelines, database)
    code = ("import sys\nfrom scrapy.cmdline import execute\n"
            f"sys.argv = ['scrapy', 'crawl', 'illust_series', '-a', 'series_id=abc', '-s', 'LOG_LEVEL=ERROR', "
            f"'-s', 'FILES_STORE={tmp_path / 'files'}']\nexecute()\n")
    env = {"DATABASE_URL": database_at_head, "PIXIV_REFRESH_TOKEN": "token", "PIXIV_REDIS_URL": "",
           "SCRAPY_SETTINGS_MODULE": "pixivcrawl.settings"}
    assert _imported(code, env) == []


def test_pixivcrawl_get_imports_its_own_subcommand_only():
    assert _imported("from pixivcrawl.cli import build_parser\nbuild_parser(['get', '--plan', 'x'])\n") == []
    # every subcommand's module (the full parser) does import them
    everything = _imported("from pixivcrawl.cli import build_parser\nbuild_parser()\n")
    assert {"aiohttp", "pixivcrawl.replica"} <= set(everything)
