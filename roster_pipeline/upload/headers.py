"""Header matching: case-insensitive, trimmed, with configurable aliases, each liberty taken reported."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from roster_pipeline.issues import Issue

EXTENSION_PREFIX = "metadata."


@dataclass(frozen=True)
class HeaderMatch:
    """``rename`` maps header names as written to standard names; unknown columns are left out."""

    rename: dict[str, str]
    unknown: list[str]
    issues: list[Issue]


def match_headers(
    file: str,
    header: Iterable[str],
    known: Iterable[str],
    aliases: Mapping[str, str],
    line: int = 1,
) -> HeaderMatch:
    by_lower = {name.lower(): name for name in known}
    alias_lower = {alias.strip().lower(): standard for alias, standard in aliases.items()}
    rename: dict[str, str] = {}
    unknown: list[str] = []
    issues: list[Issue] = []
    claimed: dict[str, str] = {}
    for written in header:
        key = written.strip().lower()
        standard = by_lower.get(key)
        code = None
        if standard is None and key in alias_lower:
            standard, code = alias_lower[key], "header_alias"
        elif standard is not None and standard != written:
            code = "header_case"
        if standard is None:
            if not key.startswith(EXTENSION_PREFIX):
                issues.append(Issue(file, "unknown_column", line=line, column=written, value=written))
            unknown.append(written)
            continue
        if standard in claimed:
            issues.append(
                Issue(
                    file,
                    "duplicate_column",
                    line=line,
                    column=written,
                    value=written,
                    message=f"'{written}' and '{claimed[standard]}' both mean '{standard}'",
                )
            )
            continue
        if code:
            issues.append(
                Issue(
                    file,
                    code,
                    line=line,
                    column=written,
                    value=written,
                    message=_note(code, standard),
                )
            )
        claimed[standard] = written
        rename[written] = standard
    return HeaderMatch(rename, unknown, issues)


def _note(code: str, standard: str) -> str:
    if code == "header_alias":
        return f"read as the standard column '{standard}'"
    return f"not spelled exactly; matched to '{standard}'"
