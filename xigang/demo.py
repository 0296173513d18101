"""The demo data builders that `seed_demo` runs: each business app's `demo.py` registers its
`seed(*, rng, scale, as_of)` with `@register(order=N)`, lowest first (dependency order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Builder = Callable[..., Any]

# name -> (order, builder); the name also seeds the builder's own random generator.
_BUILDERS: dict[str, tuple[int, Builder]] = {}


def register(*, order: int, name: str | None = None) -> Callable[[Builder], Builder]:
    """`name` defaults to the builder's module; a builder that moves keeps its old name, and so
    its data."""

    def add(builder: Builder) -> Builder:
        _BUILDERS[name or builder.__module__] = (order, builder)
        return builder

    return add


def builders() -> list[tuple[str, Builder]]:
    """(name, seed function) of every builder, in order."""
    ordered = sorted(_BUILDERS.items(), key=lambda item: item[1][0])
    return [(name, builder) for name, (_order, builder) in ordered]
