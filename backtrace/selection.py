"""Parse the command line's epoch selections: 'all', 'none', 'first', 'last', '1,10,100', '3-5'."""

from __future__ import annotations

from backtrace.errors import UsageError

EPOCH_WORDS = ("all", "none", "first", "last")


def parse_epochs(text: str, total: int, *, option: str = "--trace") -> frozenset[int]:
    """The epochs a selection names, each between 1 and `total`."""
    chosen: set[int] = set()
    for raw in text.split(","):
        token = raw.strip().lower()
        if token == "all":
            chosen.update(range(1, total + 1))
        elif token == "none":
            continue
        elif token == "first":
            chosen.add(1)
        elif token == "last":
            chosen.add(total)
        else:
            start, dash, end = token.partition("-")
            try:
                low = int(start)
                high = int(end) if dash else low
            except ValueError:
                raise UsageError(
                    f"{option}: {raw.strip()!r} is not an epoch; use {', '.join(EPOCH_WORDS)}, "
                    "numbers like 1,10,100 or ranges like 3-5"
                ) from None
            if not 1 <= low <= high <= total:
                raise UsageError(
                    f"{option}: epoch {raw.strip()} is out of range; this run has epochs 1 to {total}"
                )
            chosen.update(range(low, high + 1))
    return frozenset(chosen)
