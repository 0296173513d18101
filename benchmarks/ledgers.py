"""Benchmark of the households ledger: import and export speed beside plain openpyxl, same run.

    DEBUG=1 python -m benchmarks.ledgers [--rows 10000 50000] [--repeat 1]
    DATABASE_URL=postgres://... DEBUG=1 python -m benchmarks.ledgers

It works in its own fresh database (SQLite: /tmp/bench_ledgers_PID.sqlite3; PostgreSQL:
`bench_ledgers_PID`), dropped at the end. For each size it writes a households workbook (a title line above the
headers, ID numbers as text) and times, best of --repeat:
- import: `import_ledger` with every validation on (headers, cells, ID check digits, village,
  scope, duplicates, 家庭人口 against members, years) into an empty table, all-or-nothing;
- baseline import: openpyxl read-only, rows to objects with a cached village lookup and no
  validation, `bulk_create`, in one transaction;
- export: `export_ledger` (scope, masking, formula-safe cells, streamed by XlsxWriter);
- baseline export: the same rows from `values_list` into an openpyxl write-only workbook;
- resource import: the same import through the admin's django-import-export Resource (our
  reader as the library's format, then `import_data`, which runs the engine and fills the
  library's Result row by row), beside `import_ledger` in the same run (ratio: engine/resource);
and prints rows/s and the ratio ours/baseline, and rows per CPU second of this process and the
reader child (not the database server's), which a shared machine disturbs far less.
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path

from benchmarks.database import drop_database, use_database

HEADERS = [
    "户编号",
    "村",
    "户主姓名",
    "户主身份证号",
    "家庭人口",
    "联系电话",
    "贫困户属性",
    "脱贫状态",
    "识别年度",
    "脱贫年度",
    "主要致贫原因",
    "重点户",
]
VILLAGES = 60


def _workbook(path: Path, rows: int) -> None:
    import openpyxl

    from xigang.idnumber import compose

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("户")
    sheet.append(["西岗镇建档立卡贫困户台账"])
    sheet.append(HEADERS)
    statuses = ["未脱贫", "已脱贫（享受政策）", "已脱贫（不享受政策）"]
    causes = ["因病", "因残", "因学", "缺技术", "缺劳力"]
    for n in range(rows):
        exited = None if n % 3 == 0 else 2019
        sheet.append(
            [
                f"H{n:06d}",
                f"村{n % VILLAGES:02d}",
                f"户主{n}",
                compose(
                    "370481",
                    datetime.date(1950, 1, 1) + datetime.timedelta(days=n % 15000),
                    n % 1000,
                ),
                1 + n % 6,
                f"138{n:08d}",
                "一般贫困户",
                statuses[0] if exited is None else statuses[1 + n % 2],
                2016,
                exited,
                causes[n % len(causes)],
                "是" if n % 7 == 0 else "否",
            ]
        )
    book.save(path)


def _baseline_import(path: Path) -> int:
    import openpyxl
    from django.db import transaction

    from duties.models import Village
    from households.models import Household

    villages = dict(Village.objects.values_list("name", "id"))
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    next(rows), next(rows)  # title, headers
    objects = [
        Household(
            number=r[0],
            village_id=villages[r[1]],
            head_name=r[2],
            head_id_number=r[3],
            size=r[4],
            phone=r[5],
            category=r[6],
            status=r[7],
            year_identified=r[8],
            year_exited=r[9],
            cause=r[10],
            is_key=r[11] == "是",
        )
        for r in rows
    ]
    book.close()
    with transaction.atomic():
        Household.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


def _baseline_export(path: Path) -> int:
    import openpyxl

    from households.models import Household

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("户")
    sheet.append(["西岗镇建档立卡贫困户台账"])
    sheet.append(HEADERS)
    count = 0
    for row in (
        Household.objects.order_by("number")
        .values_list(
            "number",
            "village__name",
            "head_name",
            "head_id_number",
            "size",
            "phone",
            "category",
            "status",
            "year_identified",
            "year_exited",
            "cause",
            "is_key",
        )
        .iterator(chunk_size=5000)
    ):
        sheet.append([*row[:11], "是" if row[11] else "否"])
        count += 1
    book.save(path)
    return count


def _resource_import(user, source: Path) -> int:
    """What the admin's confirmation does: the library's format reads, the Resource imports."""
    from xigang.ledger_resources import ledger_formats, ledger_resource

    dataset = ledger_formats("households")[0]().create_dataset(source.read_bytes())
    resource = ledger_resource("households")(user=user)
    result = resource.import_data(dataset, dry_run=False, user=user, file_name=source.name)
    assert not result.has_errors() and not result.has_validation_errors()
    return result.totals["new"]


def _cpu() -> float:
    """CPU seconds of this process and its waited children (the reader child), not the
    database server's: on a shared machine it varies far less than the wall clock."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _timed(function, *args):
    started, cpu = time.perf_counter(), _cpu()
    result = function(*args)
    _CPU.append(_cpu() - cpu)
    return time.perf_counter() - started, result


_CPU: list[float] = []  # the CPU seconds of each `_timed` call, in order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 50000])
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    database = f"ledgers_{os.getpid()}"  # always empty: one per run
    use_database(database, fresh=True)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from duties.models import Village
    from households.ledgers import HouseholdLedger
    from households.models import Household
    from xigang.ledgers import export_ledger, import_ledger

    Village.objects.bulk_create([Village(name=f"村{i:02d}") for i in range(VILLAGES)])
    user = get_user_model().objects.create_superuser("bench", password=None)
    print(f"database: {connection.vendor}")
    print(f"load average: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(
        f"{'rows':>7} {'step':<8} {'ours rows/s':>12} {'baseline rows/s':>16} {'ratio':>6} "
        f"{'ours rows/CPU-s':>16} {'baseline rows/CPU-s':>20}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for rows in options.rows:
            source = Path(tmp) / f"households-{rows}.xlsx"
            _workbook(source, rows)
            ours_in, base_in, ours_out, base_out, resource_in = [], [], [], [], []
            cpu: dict[str, list[float]] = {
                "ours import": [],
                "base import": [],
                "ours export": [],
                "base export": [],
                "ours resource": [],
            }
            for _attempt in range(options.repeat):
                Household.objects.all().delete()
                seconds, base_count = _timed(_baseline_import, source)
                base_in.append(seconds)
                seconds, base_written = _timed(_baseline_export, Path(tmp) / "base.xlsx")
                base_out.append(seconds)
                Household.objects.all().delete()
                seconds, report = _timed(import_ledger, HouseholdLedger(user), source)
                assert report.ok and report.created == rows, report.lines()[:5]
                ours_in.append(seconds)
                seconds, written = _timed(
                    export_ledger, HouseholdLedger(user), Path(tmp) / "ours.xlsx"
                )
                assert written == base_written == base_count == rows
                ours_out.append(seconds)
                Household.objects.all().delete()
                seconds, created = _timed(_resource_import, user, source)
                assert created == rows
                resource_in.append(seconds)
                for name, spent in zip(
                    ("base import", "base export", "ours import", "ours export", "ours resource"),
                    _CPU[-5:],
                    strict=True,
                ):
                    cpu[name].append(spent)
            for step, ours, base in (
                ("import", min(ours_in), min(base_in)),
                ("export", min(ours_out), min(base_out)),
                # the baseline column is the engine here: the Resource's cost over it
                ("resource", min(resource_in), min(ours_in)),
            ):
                # the resource step's baseline is the engine: its CPU is "ours import"
                base_key = "ours import" if step == "resource" else f"base {step}"
                ours_cpu, base_cpu = min(cpu[f"ours {step}"]), min(cpu[base_key])
                print(
                    f"{rows:>7} {step:<8} {rows / ours:>12,.0f} {rows / base:>16,.0f} "
                    f"{base / ours:>6.2f} {rows / ours_cpu:>16,.0f} {rows / base_cpu:>20,.0f}"
                )
    drop_database(database)


if __name__ == "__main__":
    main()
