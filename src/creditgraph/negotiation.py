"""Reading the headers a client negotiates with: `Accept`, `Accept-Encoding`.

Both are comma-separated lists of values, each with an optional quality
(`;q=0.5`, 1 when absent, 0 refuses it). The gateway picks the response's
media type from one and GraphiQL's files their encoding from the other,
with this one reading of the list.
"""

from __future__ import annotations


def weighted(header: str) -> list[tuple[str, float]]:
    """Each value of the list, lower-cased, with its quality (clamped to 0..1; unreadable: 0)."""
    found: list[tuple[str, float]] = []
    for item in header.split(","):
        value, _, parameters = item.partition(";")
        found.append((value.strip().lower(), _quality(parameters)))
    return found


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
