"""Header alias tables: the bundled defaults, merged with a district's own."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources

ALL = "all"
HeaderAliases = dict[str, dict[str, str]]


def default_aliases() -> HeaderAliases:
    text = resources.files("roster_pipeline.schemas").joinpath("header_aliases.toml").read_text()
    return {table: dict(values) for table, values in tomllib.loads(text).items()}


def merge_aliases(base: HeaderAliases, extra: Mapping[str, Mapping[str, str]]) -> HeaderAliases:
    merged = {table: dict(values) for table, values in base.items()}
    for table, values in extra.items():
        merged.setdefault(table.removesuffix(".csv"), {}).update(values)
    return merged


def aliases_for(aliases: HeaderAliases, file_name: str) -> dict[str, str]:
    """The aliases that apply to one file: the shared table, overridden by the file's own."""
    table = file_name.lower().removesuffix(".csv")
    own = {name.lower(): values for name, values in aliases.items()}.get(table, {})
    return {**aliases.get(ALL, {}), **own}
