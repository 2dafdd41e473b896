"""Reading a study output folder. Nothing here raises for a missing or broken piece: an absent
piece is None, an unreadable one None (or an item carrying its `problem`) and recorded in `Problems`.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from ..experiments.store import ResultsStore
from .template import MAX_TABLE_ROWS

Item = TypeVar("Item")


class Problems(list):
    """Problems met while reading the folder; shown at the top of the page."""

    def add(self, where, what: str) -> None:
        self.append(f"{where}: {what}")


def read_json(path: Path, expect: type | tuple[type, ...], problems: Problems):
    """The parsed file, or None (absent: silently; unreadable or of the wrong kind: a problem)."""
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        problems.add(path.name, f"could not be read ({e})")
        return None
    if not isinstance(value, expect):
        kinds = " or ".join(t.__name__ for t in (expect if isinstance(expect, tuple) else (expect,)))
        problems.add(path.name, f"expected a JSON {kinds}, found {type(value).__name__}")
        return None
    return value


def _index_entries(index: Path, problems: Problems) -> list[dict] | None:
    """The entries of a figures/ or tables/ index: {"figures": [...]} (`dephn.plotting.save`) or a list."""
    kind = index.parent.name
    data = read_json(index, (list, dict), problems)
    if isinstance(data, dict):
        data = data.get(kind)
        if not isinstance(data, list):
            problems.add(f"{kind}/{index.name}", f'expected a list of entries (or a "{kind}" list)')
            return None
    if data is None:
        return None
    good = [e for e in data if isinstance(e, dict) and e.get("name")]
    if len(good) < len(data):
        problems.add(f"{kind}/{index.name}", f"{len(data) - len(good)} entries without a name were skipped")
    return good


def _find_file(folder: Path, entry: dict, key: str, suffix: str) -> Path | None:
    """The entry's file with this suffix: as listed under `key` (a name, a list or {format: name}),
    else `<folder>/<name><suffix>`."""
    files = entry.get(key) or []
    listed = [files] if isinstance(files, str) else list(files.values()) if isinstance(files, dict) else files
    candidates = [folder / str(f) for f in listed if str(f).lower().endswith(suffix)]
    return next((c for c in candidates + [folder / f"{entry['name']}{suffix}"] if c.is_file()), None)


def _load_indexed(root: Path, kind: str, problems: Problems,
                  read_item: Callable[[Path, dict, Problems], Item]) -> list[Item] | None:
    """One item per entry of `<root>/<kind>/index.json` (None when there is no usable index)."""
    folder = root / kind
    entries = _index_entries(folder / "index.json", problems)
    if entries is None:
        return None
    return [read_item(folder, e, problems) for e in entries]


@dataclass
class IndexItem:
    """What every index entry (figure or table) carries, and what went wrong reading it."""

    name: str
    title: str
    caption: str
    source: str
    problem: str | None = None

    @classmethod
    def of(cls, e: dict):
        return cls(name=str(e["name"]), title=str(e.get("title") or e["name"]),
                   caption=str(e.get("caption") or ""), source=str(e.get("source") or ""))


@dataclass
class FigureItem(IndexItem):
    plotly: dict | None = None       # {"data", "layout", "frames"} when the JSON was readable
    png: bytes | None = None         # static fallback when it was not


def _read_figure(folder: Path, e: dict, problems: Problems) -> FigureItem:
    item = FigureItem.of(e)
    path = _find_file(folder, e, "files", ".json")
    if path is not None:
        try:
            # plotly writes NaN as null, but a hand-made file may not; JSON.parse refuses NaN
            fig = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda _: None)
            if not isinstance(fig, dict) or not isinstance(fig.get("data", []), list):
                raise ValueError("not a plotly figure (expected an object with a 'data' list)")
            item.plotly = {k: fig[k] for k in ("data", "layout", "frames") if k in fig}
        except (OSError, UnicodeDecodeError, ValueError) as err:
            item.problem = f"{path.name}: unreadable plotly JSON ({err})"
    else:
        item.problem = "no plotly JSON file"
    if item.plotly is None:
        png = _find_file(folder, e, "files", ".png")
        if png is not None:
            item.png = png.read_bytes()
        problems.add(f"figure {item.name}", item.problem + ("; its static image is shown" if item.png else ""))
    return item


def load_figures(root: Path, problems: Problems) -> list[FigureItem] | None:
    return _load_indexed(root, "figures", problems, _read_figure)


@dataclass
class TableItem(IndexItem):
    header: list[str] | None = None
    rows: list[list[str]] | None = None
    total_rows: int = 0


def _read_table(folder: Path, e: dict, problems: Problems) -> TableItem:
    item = TableItem.of(e)
    path = _find_file(folder, e, "file", ".csv")
    if path is None:
        item.problem = "no CSV file"
    else:
        try:
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
            item.header, body = (rows[0], rows[1:]) if rows else ([], [])
            item.total_rows, item.rows = len(body), body[:MAX_TABLE_ROWS]
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            item.problem = f"{path.name}: unreadable CSV ({err})"
    if item.problem:
        problems.add(f"table {item.name}", item.problem)
    return item


def load_tables(root: Path, problems: Problems) -> list[TableItem] | None:
    return _load_indexed(root, "tables", problems, _read_table)


def load_records(root: Path, problems: Problems) -> list[dict] | None:
    """The results store's records (one that does not read is a reported problem, not a crash)."""
    records_dir = ResultsStore(root / "results").records_dir
    if not records_dir.is_dir():
        return None
    out = []
    for p in sorted(records_dir.glob("*.json")):
        rec = read_json(p, dict, problems)
        if rec is not None:
            out.append(rec)
    return out
