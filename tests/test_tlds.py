"""The shipped TLD lists are exactly twitter-text's tld_lib.yml."""

from __future__ import annotations

import inspect

import yaml

from heartbeat_bot.render import _tlds
from tests.conftest import SPECS

TLD_LIB = SPECS / "twitter-text" / "tld_lib.yml"


def _yaml() -> dict[str, list[str]]:
    data: dict[str, list[str]] = yaml.safe_load(TLD_LIB.read_text(encoding="utf-8"))
    return data


def test_generic_tlds_equal_the_yaml_file() -> None:
    """GENERIC_TLDS holds exactly the `generic` entries of tld_lib.yml."""
    generic = _yaml()["generic"]
    assert len(set(generic)) == len(generic)
    assert frozenset(generic) == _tlds.GENERIC_TLDS


def test_country_tlds_equal_the_yaml_file() -> None:
    """COUNTRY_TLDS holds exactly the `country` entries of tld_lib.yml."""
    country = _yaml()["country"]
    assert len(set(country)) == len(country)
    assert frozenset(country) == _tlds.COUNTRY_TLDS


def test_generated_module_names_its_source() -> None:
    """The generated module's header names the twitter-text commit and its licence."""
    doc = inspect.getdoc(_tlds) or ""
    assert "twitter/twitter-text commit 30e2430d" in doc
    assert "Apache-2.0" in doc
