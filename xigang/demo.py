"""The demo data builders that `seed_demo` runs: each business app's `demo.py` registers its
`seed(*, rng, scale, as_of)` with `@register(order=N)`, lowest first (dependency order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Builder = Callable[..., Any]

# module name -> (order, builder); the name also seeds the builder's own random generator.
_BUILDERS: dict[str, tuple[int, Builder]] = {}


def register(*, order: int) -> Callable[[Builder], Builder]:
    def add(builder: Builder) -> Builder:
        _BUILDERS[builder.__module__] = (order, builder)
        return builder

    return add


def builders() -> list[tuple[str, Builder]]:
    """(name, seed function) of every builder, in order."""
    ordered = sorted(_BUILDERS.items(), key=lambda item: item[1][0])
    return [(name, builder) for name, (_order, builder) in ordered]
