"""The district's settings file (TOML, given with ``--config``): read and checked in one place, so a
typo or a value of the wrong kind stops the run with the file, the key and the value named, instead of
a crash deep inside, or a setting silently ignored.

Tables: ``[limits]`` (``max_file_mb``, ``max_upload_mb``, ``max_field_chars``), ``[header_aliases.<file>]``
(an alias as written -> a column of that file; ``all`` for every file) and ``[thresholds]`` (``percent``,
``count``, and ``[thresholds.<entity>]`` with the same two).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.schemas.aliases import ALL
from roster_pipeline.schemas.registry import FORMATS

LIMITS = ("max_file_mb", "max_upload_mb", "max_field_chars")
THRESHOLD_KEYS = ("percent", "count")


class SettingsError(ValueError):
    """The settings file cannot be used as written."""


def read_settings_file(path: Path | str) -> dict[str, Any]:
    """The file's tables, each checked: unknown tables or keys and values of the wrong kind raise."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"settings file {path}: not valid TOML ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"settings file {path}: cannot be read ({error})") from None
    problems = _unknown(data, ("limits", "header_aliases", "thresholds"), "")
    limits = _table(data, "limits", problems)
    problems += _unknown(limits, LIMITS, "[limits] ")
    for key, value in limits.items():
        if key in LIMITS and not _positive(value, whole=key == "max_field_chars"):
            problems.append(f"[limits] {key} must be a positive number, not {value!r}")
    problems += _alias_problems(_table(data, "header_aliases", problems))
    problems += _threshold_problems(_table(data, "thresholds", problems))
    if problems:
        raise SettingsError(f"settings file {path}: " + "; ".join(problems))
    return data


def _table(data: dict[str, Any], name: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(name, {})
    if isinstance(value, dict):
        return value
    problems.append(f"{name} must be a table ([{name}]), not {value!r}")
    return {}


def _unknown(table: dict[str, Any], known: tuple[str, ...], where: str) -> list[str]:
    return [
        f"{where}unknown setting {key!r} (known: {', '.join(known)})" for key in table if key not in known
    ]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: Any, *, whole: bool = False) -> bool:
    return _number(value) and value > 0 and (not whole or float(value).is_integer())


def _alias_problems(aliases: dict[str, Any]) -> list[str]:
    problems = []
    columns = {name.removesuffix(".csv"): set(fmt.columns) for name, fmt in FORMATS.items()}
    columns[ALL] = set().union(*columns.values())
    for file, table in aliases.items():
        key = file.lower().removesuffix(".csv")
        where = f"[header_aliases.{file}]"
        if key not in columns:
            problems.append(f"{where} names no file we read (known: {', '.join(sorted(columns))})")
        elif not isinstance(table, dict):
            problems.append(f"{where} must be a table of alias = column, not {table!r}")
        else:
            named = "any file" if key == ALL else f"{key}.csv"
            problems += [
                f"{where} {alias!r} must name a column of {named}, not {column!r}"
                for alias, column in table.items()
                if column not in columns[key]
            ]
    return problems


def _threshold_problems(thresholds: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in thresholds.items():
        if key in ENTITIES:
            if not isinstance(value, dict):
                problems.append(f"[thresholds.{key}] must be a table, not {value!r}")
                continue
            problems += _unknown(value, THRESHOLD_KEYS, f"[thresholds.{key}] ")
            problems += _threshold_value_problems(value, f"[thresholds.{key}]")
        elif key not in THRESHOLD_KEYS:
            known = ", ".join([*THRESHOLD_KEYS, *ENTITIES])
            problems.append(f"[thresholds] unknown setting {key!r} (known: {known})")
    return problems + _threshold_value_problems(thresholds, "[thresholds]")


def _threshold_value_problems(table: dict[str, Any], where: str) -> list[str]:
    problems = []
    percent, count = table.get("percent"), table.get("count")
    if percent is not None and not (_number(percent) and 0 <= percent <= 100):
        problems.append(f"{where} percent must be a number from 0 to 100, not {percent!r}")
    if count is not None and not (isinstance(count, int) and not isinstance(count, bool) and count >= 0):
        problems.append(f"{where} count must be a whole number of rows, not {count!r}")
    return problems
