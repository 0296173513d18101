"""The 疑点 signals job (art. 41: 弄虚作假搞"数字脱贫"): reads the visits entered since its last
run, finds what looks made up and stores it as `Signal` rows. Pages only read the rows.

Incremental and idempotent: a run reads the visits with ids above the last run's mark, and
recomputes only the (person, period) pairs those visits touch, reading the other visits of
those pairs as needed; a signal already dismissed or turned into a finding is left as it is,
an open one gains the new evidence. `compute_signals(full=True)` starts from the first visit.

Kinds (thresholds from duties/organisation/params.py, `signal.*`):
- copied: a visit text of at least `min_chars` characters whose edit-distance similarity to
  another household's visit text is at least `similarity` percent; candidates come from MinHash
  bands (datasketch) stored per visit (`ContentPrint`), verified with rapidfuzz. The later
  entry is the copy: its cadre and quarter carry the signal.
- burst: at least `visits` visits entered by one cadre within `minutes`, for at least `dates`
  different days (a 补录 sitting).
- bunched: at least `percent` % of a cadre's home visits of a quarter (at least `visits` of
  them) dated on the quarter's last `days` days.
- after_overdue: at least `visits` visits of a period (home visits: quarter; calls: month)
  entered within `days` days after the period ended, when the overdue list had named them.
- no_phone: phone calls recorded with a household that has no phone number on file.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Window
from django.db.models.functions import Length, RowNumber
from django.utils import timezone

from duties.organisation.params import InForce, in_force
from oversight.models import ContentPrint, Signal, SignalRun
from visits.models import Visit
from xigang.periods import MONTHLY, QUARTERLY, Period, period_of

_period_of = functools.cache(period_of)  # called per visit, on a few hundred distinct dates

CADRES_PER_QUERY = 500
BATCH = 5000
# MinHash permutations, 8 bands of 6: texts with 3-gram Jaccard similarity 0.8 (a word or
# two changed) share a band 91 % of the time, at 0.5 (the same stock phrases) 12 %.
NUM_PERM = 48
ROWS_PER_BAND = NUM_PERM // ContentPrint.BANDS
BUCKET_CAP = 200  # a band shared by more visits is a stock text: look at its first ones only
_NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass
class Found:
    """What one (kind, key) shows: the person, the period and the evidence items."""

    cadre_id: int
    village_id: int | None
    period: Period
    items: list[dict[str, Any]] = field(default_factory=list)


_PARAMS: dict[tuple[str, str], InForce] = {}


def _param(rule: str, name: str, day: datetime.date) -> int:
    """The threshold in force on `day`, each parameter read once per run."""
    if (rule, name) not in _PARAMS:
        _PARAMS[rule, name] = in_force(rule, name)
    return _PARAMS[rule, name].on(day)


def compute_signals(*, full: bool = False) -> SignalRun:
    """Read the visits entered since the last run (all of them with `full`), store what they
    show, and record the run (the `compute_signals` command and the daily job call this)."""
    _PARAMS.clear()  # a parameter changed since the last run counts from this one
    last = 0
    if not full:
        last = SignalRun.objects.values_list("last_visit_id", flat=True).first() or 0
    # The upper mark is fixed first: visits entered while the job runs wait for the next run.
    top = Visit.objects.aggregate(top=Max("id"))["top"] or 0
    written = 0
    read = 0
    if top > last:
        read = Visit.objects.filter(id__gt=last, id__lte=top).count()
        written += _copied(last, top)
        written += _per_cadre(last, top)
    return SignalRun.objects.create(
        last_visit_id=max(top, last), visits_read=read, signals_written=written
    )


# --- storing ----------------------------------------------------------------------------------


def save_found(kind: str, found: dict[str, Found]) -> int:
    """Create or extend the signals of `kind` keyed as in `found`; handled ones stay as they
    were. Returns how many rows were written."""
    written = 0
    keys = list(found)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        with transaction.atomic():
            existing = {
                s.key: s
                for s in Signal.objects.select_for_update().filter(kind=kind, key__in=chunk)
            }
            new, changed = [], []
            for key in chunk:
                f = found[key]
                signal = existing.get(key)
                if signal is None:
                    new.append(
                        Signal(
                            kind=kind,
                            key=key,
                            cadre_id=f.cadre_id,
                            village_id=f.village_id,
                            period=f.period.label,
                            period_start=f.period.start,
                            period_end=f.period.end,
                            evidence=f.items,
                            score=_score(f.items),
                        )
                    )
                elif signal.status == Signal.Status.OPEN:
                    merged = {item["id"]: item for item in signal.evidence}
                    merged.update((item["id"], item) for item in f.items)
                    if list(merged.values()) != signal.evidence:
                        signal.evidence = list(merged.values())
                        signal.score = _score(signal.evidence)
                        changed.append(signal)
            Signal.objects.bulk_create(new)
            Signal.objects.bulk_update(changed, ["evidence", "score"])
            written += len(new) + len(changed)
    return written


def _score(items: list[dict[str, Any]]) -> float:
    """How much the evidence weighs: the records it names (a pair of copied texts counts both)."""
    return float(len({v for item in items for v in item.get("visits", [])}) or len(items))


# --- copied content ---------------------------------------------------------------------------


def normalized(text: str) -> str:
    """The text without spaces and punctuation: what is compared."""
    return _NOT_TEXT.sub("", text)


class Prints:
    """MinHash band keys of texts, as datasketch's MinHash of their character 3-grams gives
    them, but each distinct 3-gram hashed once per run: a text's MinHash is the least value of
    its 3-grams' per permutation (what MinHash.update computes), taken for a whole batch in numpy."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.table: Any = None  # per permutation, the permuted hash value of each 3-gram

    def minhashes(self, texts: list[str]) -> Any:
        import numpy as np
        from datasketch import MinHash

        grams = [{t[i : i + 3] for i in range(max(1, len(t) - 2))} for t in texts]
        fresh = list({g for gs in grams for g in gs if g not in self.rows})
        if fresh:
            singles = MinHash.bulk([[g.encode()] for g in fresh], num_perm=NUM_PERM)
            known = [] if self.table is None else [self.table]
            self.table = np.hstack([*known, np.array([m.hashvalues for m in singles]).T])
            self.rows.update((g, row) for row, g in enumerate(fresh, start=len(self.rows)))
        rows = self.rows
        flat = np.fromiter((rows[g] for gs in grams for g in gs), dtype=np.int64)
        starts = np.cumsum([0, *(len(gs) for gs in grams[:-1])])
        # one permutation at a time: 5-10x faster than all at once (the rows stay in cache)
        return np.stack([np.minimum.reduceat(p.take(flat), starts) for p in self.table], axis=1)

    def bands(self, texts: list[str]) -> list[list[int]]:
        """For each text, its MinHash folded into ContentPrint.BANDS keys."""
        return [
            [
                int.from_bytes(
                    hashlib.blake2b(
                        values[b * ROWS_PER_BAND : (b + 1) * ROWS_PER_BAND].tobytes(),
                        digest_size=8,
                    ).digest(),
                    "big",
                    signed=True,
                )
                for b in range(ContentPrint.BANDS)
            ]
            for values in self.minhashes(texts)
        ]


def _copied(last: int, top: int) -> int:
    """Each new text is compared with the first BUCKET_CAP visits (by id) of every band bucket
    it falls in: a pair is compared when the earlier of the two is among its bucket's first."""
    today = timezone.localdate()
    min_chars = _param("signal.copied", "min_chars", today)
    similarity = _param("signal.copied", "similarity", today)
    found: dict[str, Found] = {}
    prints = Prints()
    heads = Heads(earlier=last > 0)
    new = (
        Visit.objects.filter(id__gt=last, id__lte=top)
        .annotate(chars=Length("content"))
        .filter(chars__gte=min_chars)  # normalizing only shortens a text
        .values_list(*_TEXT_FIELDS)
        .order_by("id")
    )
    for batch in _batches(new.iterator(chunk_size=BATCH), BATCH):
        ids = []
        for row in batch:
            text = normalized(row[1])
            if len(text) >= min_chars:
                heads.rows[row[0]] = (text, *row[2:])
                ids.append(row[0])
        if not ids:
            continue
        bands, pairs = compare_batch(ids, prints, heads, similarity)
        # stored once the heads were read: a later run finds them
        ContentPrint.objects.bulk_create(
            [
                ContentPrint(visit_id=v, **{f"band{b}": keys[b] for b in range(len(keys))})
                for v, keys in zip(ids, bands, strict=True)
            ],
            ignore_conflicts=True,  # a full re-run finds the prints already there
        )
        for (earlier, later), ratio in sorted(pairs.items(), key=lambda p: p[0][::-1]):
            _, _, cadre_id, village_id, on = heads.rows[later]
            quarter = _period_of(QUARTERLY, on)
            key = f"{cadre_id}:{quarter.label}"
            f = found.setdefault(key, Found(cadre_id, village_id, quarter))
            f.items.append(
                {"id": f"{earlier}-{later}", "visits": [earlier, later], "similarity": ratio}
            )
    return save_found(Signal.Kind.COPIED, found)


def compare_batch(
    ids: list[int], prints: Prints, heads: Heads, similarity: int
) -> tuple[list[list[int]], dict[tuple[int, int], int]]:
    """The band keys of the visits `ids` (in id order, their texts in `heads.rows`) and the
    near-identical pairs (earlier, later) each of them is the later of: similarity."""
    bands = prints.bands([heads.rows[v][0] for v in ids])
    pairs: dict[tuple[int, int], int] = {}
    for b in range(ContentPrint.BANDS):
        mine: dict[int, list[int]] = defaultdict(list)
        for v, keys in zip(ids, bands, strict=True):
            mine[keys[b]].append(v)
        heads.compare(b, mine, similarity, pairs)
    return bands, pairs


# id, text, household, cadre, village, date: what a pair's comparison and its signal need
_TEXT_FIELDS = ("id", "content", "household_id", "cadre_id", "household__village_id", "on")


class Heads:
    """The first BUCKET_CAP visits (by id) of band buckets, kept for the run as its visits are
    read in id order; a run after the first reads a bucket's earlier ones by index, once."""

    def __init__(self, *, earlier: bool) -> None:
        self.earlier = earlier  # visits before this run's have prints to read
        self.known: list[dict[int, list[int]]] = [{} for _ in range(ContentPrint.BANDS)]
        self.rows: dict[int, tuple] = {}  # visit id: normalized text, household, cadre, ...

    def _add(self, band: int, mine: dict[int, list[int]]) -> dict[int, list[int]]:
        """The heads of `mine`'s buckets, the new visits added where a head has room."""
        known = self.known[band]
        if self.earlier:
            column = f"band{band}"
            wanted = [k for k in mine if k not in known]
            for start in range(0, len(wanted), 1000):
                for key, visit_id in (
                    ContentPrint.objects.filter(**{f"{column}__in": wanted[start : start + 1000]})
                    .annotate(
                        rank=Window(
                            RowNumber(), partition_by=F(column), order_by=F("visit_id").asc()
                        )
                    )
                    .filter(rank__lte=BUCKET_CAP)
                    .values_list(column, "visit_id")
                    .order_by("visit_id")
                ):
                    known.setdefault(key, []).append(visit_id)
        for key, visits in mine.items():
            head = known.setdefault(key, [])
            head.extend(v for v in visits[: BUCKET_CAP - len(head)] if not head or v > head[-1])
        return known

    def compare(self, band: int, mine: dict[int, list[int]], similarity: int, pairs: dict) -> None:
        """Add to `pairs` ((earlier, later): similarity) the near-identical texts of different
        households among `mine` (key: the new visits in its bucket) and their buckets' heads."""
        from rapidfuzz import fuzz, process

        heads = self._add(band, mine)
        self._texts({h for key in mine for h in heads[key]})
        rows = self.rows
        for key, visits in mine.items():
            head = [h for h in heads[key] if h in rows and h < visits[-1]]
            if not head:
                continue
            scores = process.cdist(
                [rows[h][0] for h in head],
                [rows[v][0] for v in visits],
                scorer=fuzz.ratio,
                score_cutoff=similarity,
                dtype="float64",  # rounded as fuzz.ratio's own float
            )
            for i, j in zip(*scores.nonzero(), strict=True):
                h, v = head[i], visits[j]
                if h < v and rows[h][1] != rows[v][1]:  # not the same household's own notes
                    pairs[h, v] = round(scores[i, j])

    def _texts(self, ids: set[int]) -> None:
        """Read the texts of earlier runs' visits that heads name."""
        missing = sorted(ids - self.rows.keys())
        for start in range(0, len(missing), BATCH):
            for row in Visit.objects.filter(id__in=missing[start : start + BATCH]).values_list(
                *_TEXT_FIELDS
            ):
                self.rows[row[0]] = (normalized(row[1]), *row[2:])


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- bursts, bunching, entries after the overdue list, calls without a phone -------------------


def _per_cadre(last: int, top: int) -> int:
    """The signals of one cadre's visits, for the cadres and periods the new visits touch."""
    periods: dict[int, set[Period]] = defaultdict(set)
    entry_days: dict[int, set[datetime.date]] = defaultdict(set)
    new = Visit.objects.filter(id__gt=last, id__lte=top).values_list("cadre_id", "on", "created_at")
    for cadre_id, on, created_at in new.iterator(chunk_size=BATCH):
        periods[cadre_id].add(_period_of(QUARTERLY, on))
        periods[cadre_id].add(_period_of(MONTHLY, on))
        entry_days[cadre_id].add(_day(created_at))
    written = 0
    cadres = sorted(periods)
    for start in range(0, len(cadres), CADRES_PER_QUERY):
        chunk = cadres[start : start + CADRES_PER_QUERY]
        found = _cadre_chunk(chunk, periods, entry_days)
        for kind, by_key in found.items():
            written += save_found(kind, by_key)
    return written


def _cadre_chunk(
    cadres: list[int],
    periods: dict[int, set[Period]],
    entry_days: dict[int, set[datetime.date]],
) -> dict[str, dict[str, Found]]:
    first = min(p.start for c in cadres for p in periods[c])
    last = max(p.end for c in cadres for p in periods[c])
    fields = ("id", "cadre_id", "kind", "on", "created_at", "household__village_id")
    by_cadre: dict[int, list[tuple]] = defaultdict(list)
    for row in Visit.objects.filter(cadre_id__in=cadres, on__gte=first, on__lte=last).values_list(
        *fields, "household__phone"
    ):
        by_cadre[row[1]].append(row)
    found: dict[str, dict[str, Found]] = defaultdict(dict)
    for cadre_id in cadres:
        by_period: dict[Period, list[tuple]] = defaultdict(list)
        for r in by_cadre[cadre_id]:
            by_period[_period_of(QUARTERLY, r[3])].append(r)
            by_period[_period_of(MONTHLY, r[3])].append(r)
        for period in periods[cadre_id]:
            in_period = by_period.get(period)
            if not in_period:
                continue
            village_id = in_period[0][5]
            for kind, items in _period_signals(period, in_period):
                found[kind][f"{cadre_id}:{period.label}"] = Found(
                    cadre_id, village_id, period, items
                )
    # bursts: the visits entered on the days the new ones were entered
    day_first = min(d for c in cadres for d in entry_days[c])
    day_last = max(d for c in cadres for d in entry_days[c])
    entered: dict[tuple[int, datetime.date], list[tuple]] = defaultdict(list)
    window = Visit.objects.filter(
        cadre_id__in=cadres,
        created_at__gte=_midnight(day_first),
        created_at__lt=_midnight(day_last + datetime.timedelta(days=1)),
    ).values_list(*fields)
    for row in window:
        entered[row[1], _day(row[4])].append(row)
    for cadre_id in cadres:
        for day in entry_days[cadre_id]:
            rows = entered[cadre_id, day]
            items = _burst(rows, day)
            if items:
                period = Period(day.isoformat(), day, day)
                found[Signal.Kind.BURST][f"{cadre_id}:{day.isoformat()}"] = Found(
                    cadre_id, rows[0][5], period, items
                )
    return found


def _day(moment: datetime.datetime) -> datetime.date:
    """The town's calendar day of `moment` (timezone.localdate without its per-call lookups)."""
    return moment.astimezone(timezone.get_default_timezone()).date()


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _period_signals(period: Period, rows: list[tuple]) -> Iterator[tuple[str, list[dict]]]:
    """(kind, evidence items) of one cadre's visits dated in `period` (a quarter or a month)."""
    quarterly = period.label[5:6] == "Q"
    if quarterly:
        homes = [r for r in rows if r[2] == Visit.Kind.HOME]
        days = _param("signal.bunched", "days", period.start)
        least = _param("signal.bunched", "visits", period.start)
        share = _param("signal.bunched", "percent", period.start)
        late = [r for r in homes if (period.end - r[3]).days < days]
        if len(homes) >= least and len(late) * 100 >= share * len(homes):
            yield Signal.Kind.BUNCHED, [{"id": str(r[0]), "visits": [r[0]]} for r in late]
    kind = Visit.Kind.HOME if quarterly else Visit.Kind.PHONE
    within = _param("signal.after_overdue", "days", period.start)
    least = _param("signal.after_overdue", "visits", period.start)
    after = [r for r in rows if r[2] == kind and 0 < (_day(r[4]) - period.end).days <= within]
    if len(after) >= least:
        yield Signal.Kind.AFTER_OVERDUE, [{"id": str(r[0]), "visits": [r[0]]} for r in after]
    if not quarterly:
        no_phone = [r for r in rows if r[2] == Visit.Kind.PHONE and not r[6].strip()]
        if no_phone:
            yield Signal.Kind.NO_PHONE, [{"id": str(r[0]), "visits": [r[0]]} for r in no_phone]


def _burst(rows: list[tuple], day: datetime.date) -> list[dict]:
    """The visits of the largest sitting of one cadre's entries on `day` that counts as a
    burst (see the module's docstring), or []."""
    least = _param("signal.burst", "visits", day)
    minutes = datetime.timedelta(minutes=_param("signal.burst", "minutes", day))
    dates = _param("signal.burst", "dates", day)
    rows = sorted(rows, key=lambda r: r[4])
    best: tuple[int, int] = (0, 0)
    days: Counter[datetime.date] = Counter()  # the dates of the visits in the window
    low = 0
    for high, row in enumerate(rows):
        days[row[3]] += 1
        while row[4] - rows[low][4] > minutes:
            days[rows[low][3]] -= 1
            if not days[rows[low][3]]:
                del days[rows[low][3]]
            low += 1
        if high + 1 - low > best[1] - best[0] and len(days) >= dates:
            best = (low, high + 1)
    found = rows[best[0] : best[1]]
    if len(found) < least:
        return []
    return [{"id": str(r[0]), "visits": [r[0]]} for r in found]
