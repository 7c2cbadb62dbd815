"""Top-N lists with counts and shares: the pages, sources, browsers... panels.

Shares are of a total the caller may choose: by default the sum of all counts, but for
"visitors per page" the total is the number of unique visitors, since one visitor sees
several pages (such shares can add up to more than 1). Ties are broken by name, so the
same data always gives the same list.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

OTHER = "Other"


@attrs.frozen
class Entry:
    name: str
    count: int
    #: ``count`` divided by the breakdown's total, from 0 up (0 when the total is 0).
    share: float


def top(
    counts: Mapping[str, int],
    n: int,
    *,
    total: int | None = None,
    other: str | None = None,
) -> list[Entry]:
    """The ``n`` largest counts, largest first, ties by name.

    With ``other`` (e.g. ``OTHER``), the rest are summed into one last entry of that name,
    when there is a rest. ``total`` defaults to the sum of all counts.
    """
    if n < 0:
        raise ValueError("n cannot be negative.")
    denominator = sum(counts.values()) if total is None else total
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    entries = [Entry(name, count, _share(count, denominator)) for name, count in ranked[:n]]
    rest = sum(count for _, count in ranked[n:])
    if other is not None and len(ranked) > n:
        entries.append(Entry(other, rest, _share(rest, denominator)))
    return entries


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0
