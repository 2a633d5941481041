"""Every spider declares its arguments, and what users read about them comes from those declarations:
``pixivcrawl spiders`` (text, ``--json``, ``--markdown``) and README.md's argument tables, which must equal
the tables rendered from the models (regenerate them with ``python scripts/update_readme_arguments.py``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy_spider_metadata import get_spider_metadata

from pixivcrawl import settings
from pixivcrawl.cli import main
from pixivcrawl.spiders.reference import markdown_table, readme_blocks, spider_classes, update_readme

from .conftest import ROOT

#: every spider of SPIDER_MODULES, found as Scrapy finds them
SPIDERS = sorted(SpiderLoader.from_settings(Settings({"SPIDER_MODULES": settings.SPIDER_MODULES})).list())
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SPIDERS)
def test_every_spider_declares_its_arguments_and_the_command_lists_them(name, capsys):
    spidercls = spider_classes()[name]
    schema = get_spider_metadata(spidercls)["param_schema"]
    assert schema == spidercls.params_model().model_json_schema()
    assert schema["properties"] and schema["additionalProperties"] is False
    main(["spiders", name])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{name}: ")
    listed = [line.split(" (")[0].strip() for line in lines[1::2]]
    assert listed == list(schema["properties"])
    assert all(line.startswith("      ") and line.strip() for line in lines[2::2])  # each has its description


@pytest.mark.parametrize("name", SPIDERS)
def test_the_readme_table_of_each_spider_is_the_one_its_model_renders(name):
    assert readme_blocks(README).get(name) == markdown_table(spider_classes()[name]), (
        f"README.md's argument table of {name} differs from its model: run python scripts/update_readme_arguments.py")


def test_the_readme_has_no_table_of_a_spider_that_does_not_exist():
    assert sorted(readme_blocks(README)) == SPIDERS
    assert update_readme(README) == README


def test_a_table_row_gives_type_default_values_and_description():
    table = markdown_table(spider_classes()["search"]).splitlines()
    assert table[0] == "| argument | type | default | values | description |"
    assert "| `word` | text | required |  | the tag or keywords to search for |" in table
    assert ("| `order` | text | `date_d` | `date_d`, `date`, `popular_d`, `popular_male_d`, `popular_female_d` | "
            "`date_d` newest first; the `popular_*` orders need premium |") in table
    assert any(row.startswith("| `scd` | date |  |  |") for row in table)
    assert any(row.startswith("| `details` | flag | `0` |  |") for row in table)


def test_the_markdown_output_is_the_readme_tables(capsys):
    main(["spiders", "--markdown", "commission", "ranking"])
    out = capsys.readouterr().out
    assert out == (f"**`commission`**\n\n{markdown_table(spider_classes()['commission'])}\n"
                   f"**`ranking`**\n\n{markdown_table(spider_classes()['ranking'])}\n")


def test_an_unknown_spider_name_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["spiders", "nope"])
    assert exited.value.code == 2
    assert "no spider named 'nope'" in capsys.readouterr().err


def test_pixivcrawl_spiders_json_prints_every_schema():
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "spiders", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    metadata = json.loads(proc.stdout)
    assert sorted(metadata) == SPIDERS
    search = metadata["search"]["param_schema"]
    assert search["required"] == ["word"]
    assert search["properties"]["order"]["enum"][0] == "date_d"
    assert (search["properties"]["details"]["type"], search["properties"]["details"]["default"]) == ("boolean", False)
    assert metadata["ranking"]["param_schema"]["properties"]["date"]["anyOf"][0] == {"format": "date",
                                                                                     "type": "string"}
