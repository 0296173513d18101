"""The 疑点 signals job (oversight.signals): a first full run and an incremental day.

`python -m benchmarks.signals --scale town|county [--fresh]`: seeds its own database with
seed_demo's modules once (kept between runs), gives the home visits texts of a realistic
length (the demo's are stock phrases too short to compare) with a share copied between
households, then times `compute_signals(full=True)` on empty signal tables, and an incremental
run after one more day of visits. `--choose` first times the two candidate libraries on the
same texts: rapidfuzz comparing every pair (cdist) and datasketch MinHash (what the job uses
to find candidates before rapidfuzz checks them).
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time

from benchmarks.database import use_database

SCALES = {"tiny": 40, "town": 3000, "county": 60000}
COPIED_SHARE = 0.01  # home visits whose text is another household's, lightly edited
FRAGMENTS = [
    "了解家庭收支情况，{n}口人，年人均纯收入约{m}元",
    "户主{w}，近期身体{h}，按时服药",
    "子女在{s}就读，教育资助已落实",
    "种植{c}{a}亩，长势{g}",
    "养殖{p}{k}头，出栏价格偏低",
    "住房{r}，院落整洁",
    "宣传医保缴费和大病救助政策",
    "督促落实一户一策帮扶措施，约定下次走访时间",
    "联系村委会协调解决{q}问题",
]
WORDS = {
    "w": ["腿疾复发", "腰痛", "血压偏高", "术后恢复", "视力下降"],
    "h": ["尚可", "较差", "好转", "稳定"],
    "s": ["镇中学", "村小学", "县一中", "职业中专"],
    "c": ["小麦", "玉米", "花生", "大蒜", "土豆"],
    "g": ["良好", "一般", "受旱"],
    "p": ["猪", "羊", "牛"],
    "r": ["经鉴定安全", "已完成危房改造", "需修缮屋顶"],
    "q": ["饮水", "道路", "低保", "用电", "就业"],
}


def _text(rng: random.Random) -> str:
    parts = rng.sample(FRAGMENTS, rng.randint(3, 5))
    values: dict[str, object] = {key: rng.choice(options) for key, options in WORDS.items()}
    values |= {"n": rng.randint(1, 6), "m": rng.randint(3000, 12000), "a": rng.randint(1, 9)}
    values |= {"k": rng.randint(1, 20)}
    return "；".join(p.format(**values) for p in parts) + "。"


def _seed(scale: str, as_of: datetime.date) -> None:
    from duties.models import Village
    from xigang.management.commands.seed_demo import seed_all

    if not Village.objects.exists():
        seed_all(seed=2019, scale=scale, as_of=as_of)


def _texts(rng: random.Random) -> int:
    """Give every home visit a text of its own, a share copied from another household's."""
    from visits.models import Visit

    homes = list(Visit.objects.filter(kind=Visit.Kind.HOME).order_by("id").only("id"))
    texts: list[str] = []
    for visit in homes:
        if texts and rng.random() < COPIED_SHARE:
            visit.content = rng.choice(texts).replace("良好", "较好")
        else:
            visit.content = _text(rng)
        texts.append(visit.content)
    Visit.objects.bulk_update(homes, ["content"], batch_size=5000)
    return len(homes)


def _choose(rng: random.Random, n: int) -> None:
    """rapidfuzz over every pair against datasketch MinHash, on `n` texts."""
    from datasketch import MinHash
    from rapidfuzz import fuzz, process

    from oversight.signals import NUM_PERM, normalized

    texts = [normalized(_text(rng)) for _ in range(n)]
    started = time.perf_counter()
    process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=90, workers=1)
    pairs = time.perf_counter() - started
    started = time.perf_counter()
    shingles = [{t[i : i + 3].encode() for i in range(len(t) - 2)} for t in texts]
    MinHash.bulk(shingles, num_perm=NUM_PERM)
    hashed = time.perf_counter() - started
    county = 2_000_000
    print(
        f"choose, {n} texts: rapidfuzz every pair {pairs:.2f} s "
        f"(county, {county:,} texts: ~{pairs * (county / n) ** 2 / 3600:,.0f} h); "
        f"MinHash {hashed:.2f} s (county: ~{hashed * county / n / 60:.1f} min)"
    )


def _texts_alone(rng: random.Random, n: int) -> None:
    """The copied-text search alone, in memory, on `n` texts (a county has ~480,000), each its
    own household's, 1 % copied: prints and comparisons beside datasketch's MinHash.bulk."""
    from datasketch import MinHash

    from oversight.signals import NUM_PERM, Heads, Prints, compare_batch, normalized

    texts: list[str] = []
    for _ in range(n):
        copied = texts and rng.random() < COPIED_SHARE
        texts.append(rng.choice(texts).replace("良好", "较好") if copied else _text(rng))
    heads = Heads(earlier=False)
    heads.rows = {i: (normalized(t), i, 0, 0, None) for i, t in enumerate(texts, start=1)}
    prints = Prints()
    found = 0
    started = time.perf_counter()
    for start in range(1, n + 1, 5000):
        ids = list(range(start, min(n, start + 4999) + 1))
        found += len(compare_batch(ids, prints, heads, 90)[1])
    searched = time.perf_counter() - started
    sample = [heads.rows[i][0] for i in range(1, min(n, 20000) + 1)]
    started = time.perf_counter()
    MinHash.bulk(
        [{t[i : i + 3].encode() for i in range(len(t) - 2)} for t in sample], num_perm=NUM_PERM
    )
    hashed = (time.perf_counter() - started) * n / len(sample)
    print(
        f"texts alone, {n:,}: prints and comparisons {searched:.1f} s, {found:,} pairs found; "
        f"baseline datasketch MinHash.bulk of the same texts ~{hashed:.1f} s"
    )


def _one_day(rng: random.Random, day: datetime.date) -> int:
    """A day's visits: a home visit for one pairing in ninety, entered today."""
    from django.db.models import Q

    from households.models import Pairing
    from visits.models import Visit

    pairings = list(
        Pairing.objects.filter(Q(end__isnull=True) | Q(end__gte=day)).values_list(
            "household_id", "cadre_id"
        )
    )
    chosen = rng.sample(pairings, max(1, len(pairings) // 90))
    existing = list(
        Visit.objects.filter(kind=Visit.Kind.HOME).values_list("content", flat=True)[:500]
    )
    visits = [
        Visit(
            household_id=h,
            cadre_id=c,
            kind=Visit.Kind.HOME,
            on=day,
            content=rng.choice(existing) if rng.random() < COPIED_SHARE else _text(rng),
        )
        for h, c in chosen
    ]
    Visit.objects.bulk_create(visits)
    return len(visits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="town")
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first")
    parser.add_argument("--choose", type=int, default=0, help="texts for the library choice")
    parser.add_argument("--texts", type=int, default=0, help="the text search alone, no database")
    args = parser.parse_args(argv)
    rng = random.Random(2019)
    use_database(f"signals_{args.scale}", fresh=args.fresh)
    if args.choose:
        _choose(rng, args.choose)
    if args.texts:
        _texts_alone(rng, args.texts)
        return 0
    from django.db import connection

    from oversight.models import ContentPrint, Signal, SignalRun
    from oversight.signals import compute_signals
    from visits.models import Visit

    as_of = datetime.date(2026, 11, 29)
    started = time.perf_counter()
    _seed(args.scale, as_of)
    homes = _texts(random.Random(7))
    with connection.cursor() as cursor:  # the job's tables emptied, without the change history
        for model in (Signal, SignalRun, ContentPrint):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"{connection.vendor}, scale {args.scale}: {Visit.objects.count():,} visits "
        f"({homes:,} home visit texts); prepared in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    run = compute_signals(full=True)
    first = time.perf_counter() - started
    counts = {k: Signal.objects.filter(kind=k).count() for k in Signal.Kind.values}
    print(f"first run: {run.visits_read:,} visits read, {first:.1f} s, signals {counts}")
    from django.db.models import Max

    last_day = Visit.objects.aggregate(last=Max("on"))["last"]
    added = _one_day(rng, last_day + datetime.timedelta(days=1))
    started = time.perf_counter()
    run = compute_signals()
    day = time.perf_counter() - started
    print(
        f"incremental day: {added:,} new visits, {run.visits_read:,} read, {day:.2f} s, "
        f"{run.signals_written} signals written"
    )
    started = time.perf_counter()
    run = compute_signals()
    print(f"nothing new: {time.perf_counter() - started:.3f} s, {run.visits_read} read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
