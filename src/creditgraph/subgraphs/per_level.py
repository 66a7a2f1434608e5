"""Fields resolved once for all the objects of a level: a resolver that takes the list.

A field's resolver is written for one object, as graphql-core calls it. Where a list
of objects (a subject's accounts, an account's parties) each resolve the field
through a dataloader, that is a coroutine, an event-loop task and a resolve info per
object, all to hand the loader one key each. A field can also name a *level
resolver* (`by_level`): an async function given every object of a level at once,
which loads for all of them together and answers one value per object, in order (an
`Exception` in place of a value is that object's error). `LevelExecution`
(execution.py) calls it once per level; the field's own resolver calls it for its one
object (`for_one`), so graphql-core's execution, and every other path into the
field, answer from the same code.

A level resolver is given the strawberry `Info` of the first object of the level: its
context and arguments are the level's, its path only the first object's, so it must
not depend on the path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

S = TypeVar("S")
V = TypeVar("V")

#: The key of a strawberry field's metadata that holds its level resolver.
LEVEL_RESOLVER: Final = "creditgraph-level-resolver"

LevelResolver = Callable[..., Awaitable[Sequence[Any]]]


def by_level(resolver: LevelResolver) -> Mapping[str, LevelResolver]:
    """A strawberry field's `metadata` naming its level resolver."""
    return {LEVEL_RESOLVER: resolver}


async def for_one(
    resolver: Callable[..., Awaitable[Sequence[V | Exception]]],
    source: object,
    info: object,
    **arguments: Any,
) -> V:
    """The field's value for one object, as `resolver` answers it in a level of one; the
    object's error raised."""
    (value,) = await resolver([source], info, **arguments)
    if isinstance(value, Exception):
        raise value
    return value


def each(items: Sequence[S], answer: Callable[[S], V]) -> list[V | Exception]:
    """`answer` for every item; where it fails, the failure in the item's place (the item's
    error, as its own resolver would have raised it)."""
    answers: list[V | Exception] = []
    for item in items:
        try:
            answers.append(answer(item))
        except Exception as failure:  # the item's error, reported at its own position
            answers.append(failure)
    return answers
