"""The spider loader (``SPIDER_LOADER_CLASS``, pixivcrawl.spiders.loader): the spiders it knows by name are those
Scrapy's loader finds in the modules, and a crawl imports the module of its own spider only."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader, get_spider_loader

from pixivcrawl import settings as project
from pixivcrawl.runs import project_settings
from pixivcrawl.spiders.loader import SPIDERS, PixivSpiderLoader


def _scrapys() -> SpiderLoader:
    return SpiderLoader.from_settings(Settings({"SPIDER_MODULES": project.SPIDER_MODULES}))


def test_the_project_uses_it():
    assert isinstance(get_spider_loader(project_settings({})), PixivSpiderLoader)


def test_it_knows_every_spider_scrapys_loader_finds_and_loads_the_same_classes():
    scrapys, ours = _scrapys(), PixivSpiderLoader.from_settings(Settings({"SPIDER_MODULES": project.SPIDER_MODULES}))
    assert ours.list() == sorted(scrapys.list()) == sorted(SPIDERS)
    assert {name: ours.load(name) for name in ours.list()} == {name: scrapys.load(name) for name in scrapys.list()}


def test_an_unknown_spider_is_a_key_error():
    with pytest.raises(KeyError, match="Spider not found: nope"):
        PixivSpiderLoader.from_settings(project_settings({})).load("nope")


def test_a_projects_own_spider_modules_are_walked(tmp_path, monkeypatch):
    package = tmp_path / "myspiders"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mine.py").write_text("import scrapy\n\nclass Mine(scrapy.Spider):\n    name = 'mine'\n\n\n"
                                     "class Work(scrapy.Spider):\n    name = 'work'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    loader = PixivSpiderLoader.from_settings(Settings({"SPIDER_MODULES": [*project.SPIDER_MODULES, "myspiders"]}))
    assert set(loader.list()) == set(SPIDERS) | {"mine"}
    assert loader.load("mine").__module__ == "myspiders.mine"
    assert loader.load("work").__module__ == "myspiders.mine"  # a project's spider of our name replaces ours
    assert loader.load("user").__module__ == "pixivcrawl.spiders.user"


def test_loading_one_spider_imports_its_module_only():
    code = ("import sys; from pixivcrawl.runs import project_settings; from scrapy.spiderloader import "
            "get_spider_loader; loader = get_spider_loader(project_settings({})); names = loader.list(); "
            "loader.load('illust_series'); "
            "print(sorted(m for m in sys.modules if m.startswith('pixivcrawl.spiders.') and m.count('.') == 2))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    loaded = set(eval(proc.stdout))  # noqa: S307 - the list this test's own child printed
    assert "pixivcrawl.spiders.illust_series" in loaded
    assert not loaded & {"pixivcrawl.spiders.ranking", "pixivcrawl.spiders.search", "pixivcrawl.spiders.commission",
                         "pixivcrawl.spiders.bookmarks", "pixivcrawl.spiders.feed", "pixivcrawl.spiders.following"}
