"""An import's intermediate values saved to a folder (local or S3) and loaded back, without pickles.

What the Dagster steps hand each other (the upload's files, the validated upload, the matches, the plan,
small decisions) is written as one small JSON document, ``value.json``, that holds every scalar and the
shape of the value, plus one file per large part beside it: a Parquet file per DataFrame or Series (and
per long list of strings), the raw bytes of each uploaded file, and a ``StagedPlan`` in the layout of a
saved plan (``plan/storage.py``, without the reviewer's changes file), so any stored value can be opened
with pandas or DuckDB.

Objects are rebuilt field by field (dataclasses, or ``__getstate__``/``__setstate__`` where a class
defines them); only this package's classes are rebuilt, and anything this module does not know how to
write is refused with a ``TypeError`` rather than pickled. ``load_value(folder, as_type=Base)`` of a
stored dataclass whose class derives from the dataclass ``Base`` reads only ``Base``'s fields (a step
that needs only the upload's address does not download its files); ``as_type=PlanCandidates`` of a
stored plan reads only its summary and merge candidates, ``as_type=PlanActions`` only what the
results need of it (a ``StoredPlan``, which reads the rest when asked).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from roster_pipeline.folders import Folder, read_frame, remove_folder, write_file, write_frame
from roster_pipeline.plan.staged_plan import PlanActions, PlanCandidates, StagedPlan
from roster_pipeline.plan.storage import load_plan, load_plan_actions, load_plan_candidates, save_plan

DOCUMENT = "value.json"
FORMAT = 1
PACKAGE = "roster_pipeline."
# A list or set of more strings than this goes to a Parquet file of its own (sets of SIS IDs).
LONG_STRINGS = 256
TAG = "$"
# The parts of a stored plan a step can load alone, by the class it asks for.
PLAN_PARTS = {PlanCandidates: load_plan_candidates, PlanActions: load_plan_actions}


def save_value(value: Any, folder: Folder) -> int:
    """Replace whatever ``folder`` held with ``value``; returns the bytes written."""
    remove_folder(folder)
    writer = _Writer(folder)
    document = {"format": FORMAT, "value": writer.encode(value, [])}
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    write_file(folder / DOCUMENT, data)  # last: a folder without it holds no complete value
    return writer.size + len(data)


def load_value(folder: Folder, as_type: type | None = None, leave_out: Iterable[str] = ()) -> Any:
    """The value saved in ``folder``; when it is a dataclass derived from the dataclass ``as_type``,
    an ``as_type`` made of that part of it alone. ``leave_out`` names fields not to read, as
    ``module:Class.field``: they load as None (the results need the rows as written, not the
    normalised frames, and matching the other way round)."""
    document = json.loads((folder / DOCUMENT).read_bytes())
    if document.get("format") != FORMAT:
        raise ValueError(f"{folder}: stored in format {document.get('format')!r}, this code reads {FORMAT}")
    node = document["value"]
    if isinstance(node, dict) and node.get(TAG) == "plan" and as_type in PLAN_PARTS:
        return PLAN_PARTS[as_type](folder / node["part"])
    if _is_base_of(as_type, node):
        node = {
            **node,
            "type": _type_name(as_type),
            "fields": {name: node["fields"][name] for name in _names(as_type)},
        }
    return _decode(node, folder, frozenset(leave_out))


class _Writer:
    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.size = 0
        self.used: set[str] = set()

    def encode(self, value: Any, path: list[str]) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int | float):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, datetime):
            return {TAG: "datetime", "iso": value.isoformat()}
        if isinstance(value, date):
            return {TAG: "date", "iso": value.isoformat()}
        if isinstance(value, bytes):
            name = self._part(path, ".bin")
            self.size += write_file(self.folder / name, value)
            return {TAG: "bytes", "part": name}
        if isinstance(value, pd.DataFrame):
            name = self._part(path, ".parquet")
            self.size += write_frame(value, self.folder / name)
            return {TAG: "frame", "part": name}
        if isinstance(value, pd.Series):
            name = self._part(path, ".parquet")
            self.size += write_frame(value.to_frame(name="values"), self.folder / name)
            return {TAG: "series", "part": name, "name": self.encode(value.name, [*path, "name"])}
        if isinstance(value, StagedPlan):
            name = self._part(path or ["plan"], "")
            save_plan(value, self.folder / name, review=False)  # apply's files, not the reviewer's
            return {TAG: "plan", "part": name}
        if isinstance(value, list | tuple | set | frozenset):
            return self._sequence(value, path)
        if isinstance(value, dict):
            items = [
                [self.encode(key, [*path, f"key{index}"]), self.encode(item, [*path, str(key)])]
                for index, (key, item) in enumerate(value.items())
            ]
            return {TAG: "dict", "items": items}
        kind = type(value)
        if not kind.__module__.startswith(PACKAGE):
            raise TypeError(f"cannot store a {kind.__module__}.{kind.__qualname__} (no pickles)")
        if getattr(kind, "__getstate__", None) is not object.__getstate__ and hasattr(kind, "__setstate__"):
            return {TAG: "state", "type": _type_name(kind), "state": self.encode(value.__getstate__(), path)}
        if dataclasses.is_dataclass(value):
            fields = {
                item.name: self.encode(getattr(value, item.name), [*path, item.name])
                for item in dataclasses.fields(value)
            }
            return {TAG: "dataclass", "type": _type_name(kind), "fields": fields}
        raise TypeError(f"cannot store a {kind.__qualname__}: not a dataclass and no __getstate__")

    def _sequence(self, value: list | tuple | set | frozenset, path: list[str]) -> dict:
        kind = type(value).__name__
        if len(value) > LONG_STRINGS and all(isinstance(item, str) for item in value):
            name = self._part(path, ".parquet")
            items = sorted(value) if isinstance(value, set | frozenset) else list(value)
            self.size += write_frame(
                pd.DataFrame({"values": pd.Series(items, dtype=object)}), self.folder / name
            )
            return {TAG: kind, "part": name}
        return {
            TAG: kind,
            "items": [self.encode(item, [*path, str(index)]) for index, item in enumerate(value)],
        }

    def _part(self, path: list[str], suffix: str) -> str:
        """A readable file name from the value's path (``files/users.csv/rows.parquet``), unique."""
        base = "/".join(_safe(segment) for segment in path) or "value"
        name, count = base + suffix, 1
        while name in self.used:
            count += 1
            name = f"{base}~{count}{suffix}"
        self.used.add(name)
        return name


def _decode(node: Any, folder: Folder, leave_out: frozenset[str]) -> Any:
    if not isinstance(node, dict):
        return node
    tag = node[TAG]
    if tag in ("list", "tuple", "set", "frozenset"):
        if "part" in node:
            items = read_frame(folder / node["part"])["values"].tolist()
        else:
            items = [_decode(item, folder, leave_out) for item in node["items"]]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {
            _decode(key, folder, leave_out): _decode(item, folder, leave_out) for key, item in node["items"]
        }
    if tag == "frame":
        return read_frame(folder / node["part"])
    if tag == "series":
        return read_frame(folder / node["part"])["values"].rename(_decode(node["name"], folder, leave_out))
    if tag == "bytes":
        return (folder / node["part"]).read_bytes()
    if tag == "plan":
        return load_plan(folder / node["part"])
    if tag == "datetime":
        return datetime.fromisoformat(node["iso"])
    if tag == "date":
        return date.fromisoformat(node["iso"])
    kind = _import_type(node["type"])
    value = kind.__new__(kind)
    left_out = {name.rpartition(".")[2] for name in leave_out if name.rpartition(".")[0] == node["type"]}
    if tag == "state":
        state = node["state"]
        if left_out and state.get(TAG) == "dict":
            state = {
                **state,
                "items": [[key, None if key in left_out else item] for key, item in state["items"]],
            }
        value.__setstate__(_decode(state, folder, leave_out))
        return value
    for name, item in node["fields"].items():
        loaded = None if name in left_out else _decode(item, folder, leave_out)
        object.__setattr__(value, name, loaded)  # frozen dataclasses too
    return value


def field_path(kind: type, name: str) -> str:
    """How ``load_value``'s ``leave_out`` names a field of a class."""
    return f"{_type_name(kind)}.{name}"


def _is_base_of(base: type | None, node: Any) -> bool:
    """Whether the stored node is a dataclass of a class strictly derived from dataclass ``base``."""
    if base is None or not dataclasses.is_dataclass(base) or not isinstance(node, dict):
        return False
    if node.get(TAG) != "dataclass" or node["type"] == _type_name(base):
        return False
    return issubclass(_import_type(node["type"]), base)


def _names(kind: type) -> list[str]:
    return [item.name for item in dataclasses.fields(kind)]


def _type_name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def _import_type(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not module.startswith(PACKAGE):
        raise TypeError(f"refusing to rebuild {name}: not a roster_pipeline class")
    kind: Any = importlib.import_module(module)
    for part in qualname.split("."):
        kind = getattr(kind, part)
    return kind


def _safe(segment: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", segment).strip(".") or "_"
