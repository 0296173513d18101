"""Reads the regulation's text (kept in duties/organisation/regulation/) and loads it with the organisation.

`load_regulation` takes model classes so that the data migration can pass its historical models
and tests or `seed_demo` the real ones; it is idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duties.organisation.data import DEPARTMENTS, DUTY_CLAUSES

TEXT_PATH = Path(__file__).resolve().parent / "regulation" / "xifa-2019-33.txt"

_NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CHAPTER = re.compile(r"^第([一二三四五六七八九十]+)章\s*(.+)$")
_ARTICLE = re.compile(r"^第([一二三四五六七八九十]+)条\s*(.+)$")


def parse_numeral(text: str) -> int:
    """三十九 -> 39, 十一 -> 11, 二十 -> 20, 五 -> 5."""
    if "十" not in text:
        return _NUMERALS[text]
    tens, _sep, ones = text.partition("十")
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


@dataclass(frozen=True)
class ParsedArticle:
    number: int
    chapter: int
    chapter_title: str
    text: str


def parse_articles(text: str | None = None) -> list[ParsedArticle]:
    """The articles in order. A line that is neither a chapter nor an article heading continues
    the article before it (the source has page-break artefacts inside art. 33)."""
    if text is None:
        text = TEXT_PATH.read_text(encoding="utf-8")
    articles: list[dict] = []
    chapter, chapter_title = 0, ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if match := _CHAPTER.match(line):
            chapter, chapter_title = parse_numeral(match[1]), match[2].strip()
            continue
        if match := _ARTICLE.match(line):
            articles.append(
                {
                    "number": parse_numeral(match[1]),
                    "chapter": chapter,
                    "chapter_title": chapter_title,
                    "text": match[2].strip(),
                }
            )
        elif articles and chapter:
            articles[-1]["text"] += line
    return [ParsedArticle(**a) for a in articles]


def load_regulation(Article: type[Any], Department: type[Any], Duty: type[Any]) -> None:  # noqa: N803 (model classes)
    """Create or update the 45 articles, the units they charge and their duty clauses."""
    for parsed in parse_articles():
        Article.objects.update_or_create(
            number=parsed.number,
            defaults={
                "chapter": parsed.chapter,
                "chapter_title": parsed.chapter_title,
                "text": parsed.text,
            },
        )
    departments = {}
    for order, (name, kind, article_numbers) in enumerate(DEPARTMENTS, start=1):
        department, _created = Department.objects.update_or_create(
            name=name, defaults={"kind": kind, "order": order}
        )
        department.articles.set(article_numbers)
        departments[name] = department
    for article_number, clauses in DUTY_CLAUSES.items():
        for clause, (level, unit, text) in enumerate(clauses, start=1):
            Duty.objects.update_or_create(
                article_id=article_number,
                clause=clause,
                defaults={
                    "level": level,
                    "department": departments[unit] if unit else None,
                    "text": text,
                },
            )
