"""Every spider callback that is a generator returns no value (Scrapy would ignore it): the check Scrapy makes per
response with ``WARN_ON_GENERATOR_RETURN_VALUE``, which pixivcrawl's settings switch off (it parses the callback's
source on every response), made here once for every method of every spider."""

from __future__ import annotations

import inspect

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.project import get_project_settings

from pixivcrawl.spiders.base import PixivSpider


def _spiders() -> list[type]:
    loader = SpiderLoader.from_settings(get_project_settings())
    return [loader.load(name) for name in loader.list()]


def test_the_project_switches_scrapys_per_response_check_off():
    assert get_project_settings().getbool("WARN_ON_GENERATOR_RETURN_VALUE", True) is False
    assert all(issubclass(spider, PixivSpider) for spider in _spiders())


@pytest.mark.parametrize("spider", _spiders(), ids=lambda spider: spider.name)
def test_no_generator_callback_returns_a_value(spider):
    generators = [name for name, member in inspect.getmembers(spider, inspect.isgeneratorfunction)]
    assert generators
    returning = [name for name in generators if is_generator_with_return_value(getattr(spider, name))]
    assert returning == []


def test_the_check_finds_a_generator_that_returns_a_value():
    class Returning(PixivSpider):
        name = "returning"

        def parse_x(self, response):
            yield 1
            return 2

    assert is_generator_with_return_value(Returning.parse_x)
