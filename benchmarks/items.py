"""Micro-benchmark of the engine's per-item cost: building overdue items and writing them as JSON.

    DEBUG=1 python -m benchmarks.items [--items 140000] [--repeat 3]

No database: it makes --items `OverdueItem`s (a county's whole-town list is about 140,000) and
times, best of --repeat:
- building them: the engine's slotted dataclass beside a frozen copy of it;
- each item's dict: `as_json` (written out key by key) beside a loop over the field names and
  `dataclasses.asdict` (on a sample: it deep-copies);
- the whole list's JSON: orjson (what `/dashboard/overdue.json` uses) beside the standard
  library's encoder;
and prints microseconds per item and the time for the whole list.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import time

ASDICT_SAMPLE = 5000
JSON_KEYS = (
    "rule article period period_start period_end due days_overdue household village cadre "
    "department subject"
).split()


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _rows(n: int) -> list[tuple]:
    start = datetime.date(2026, 7, 1)
    end = datetime.date(2026, 7, 31)
    return [
        ("pairing.phone_contact", 39, "2026-07", start, end, end, 121, f"东村-{i:05d}", "东村",
         f"cadre{i % 300}", None, "电话联系（每月）", f"干部{i % 300}", None)
        for i in range(n)
    ]  # fmt: skip


def _loop_json(item) -> dict:
    out = {}
    for key in JSON_KEYS:
        value = getattr(item, key)
        out[key] = value.isoformat() if isinstance(value, datetime.date) else value
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=140_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xigang.settings")
    import django

    django.setup()
    import orjson

    from xigang.obligations import OverdueItem

    frozen = dataclasses.make_dataclass(
        "FrozenItem",
        [(f.name, f.type, f) for f in dataclasses.fields(OverdueItem)],
        frozen=True,
        slots=True,
    )
    rows, n = _rows(args.items), args.items
    items = [OverdueItem(*row) for row in rows]
    sample = items[:ASDICT_SAMPLE]
    data = {"as_of": "2026-11-29", "since": "2025-10-01", "items": [i.as_json() for i in items]}
    timings = [
        ("build: slotted dataclass (engine)", n, lambda: [OverdueItem(*r) for r in rows]),
        ("build: frozen dataclass", n, lambda: [frozen(*r) for r in rows]),
        ("dict: as_json, key by key (engine)", n, lambda: [i.as_json() for i in items]),
        ("dict: loop over the field names", n, lambda: [_loop_json(i) for i in items]),
        ("dict: dataclasses.asdict (sample)", len(sample), lambda: [dataclasses.asdict(i) for i in sample]),
        ("JSON: orjson (engine)", n, lambda: orjson.dumps(data)),
        ("JSON: json.dumps", n, lambda: json.dumps(data, ensure_ascii=False).encode()),
    ]  # fmt: skip
    size = len(orjson.dumps(data)) / 1e6
    print(f"{n} items, JSON {size:.1f} MB; best of {args.repeat}")
    for name, count, fn in timings:
        seconds = _best(fn, args.repeat)
        per_item = seconds / count * 1e6
        print(f"  {name:38s} {per_item:7.2f} µs an item  {per_item * n / 1e6:6.2f} s for {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
