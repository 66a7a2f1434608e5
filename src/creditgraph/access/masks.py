"""Masks and filters: what an edition does to values it may see only in part.

A mask replaces one field's value; a filter drops list items. Both decide
from fetched values (whose lender is this, whose grant), so they run on the
subgraphs' answers before anything leaves the gateway. Each declares the
fields it reads (`needs`, paths from the object or list item): the gateway
fetches those under its own aliases even when the client did not ask, and
never returns them.

The policy file names them; this module is their one implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

ANONYMISED_CODE: Final = "anonymised"
ANONYMISED_NAME: Final = "其他机构 Another institution"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The requester as masks see it: the institution's code and name (a subject's own id)."""

    code: str
    name: str | None


NeedPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mask:
    description: str
    needs: tuple[NeedPath, ...]
    # (field name, value, the needed values by path, viewer) -> the value shown
    apply: Callable[[str, Any, Mapping[NeedPath, Any], Viewer], Any]


@dataclass(frozen=True, slots=True)
class Filter:
    description: str
    needs: tuple[NeedPath, ...]
    keep: Callable[[Mapping[NeedPath, Any], Viewer], bool]


def mask_identifier(value: str | None) -> str | None:
    """The first two characters and the check character; everything between is starred.

    A resident identity number carries its holder's birth date (characters 7-14) and sex (the
    17th, odd for men): a masked one shows neither, nor the county of registration, only the
    province and the check character, which is computed from the rest and so says nothing of
    its own. Unified social credit codes are masked the same way, so no identifier's shape
    tells anything a masked reader was not meant to know.
    """
    if value is None or len(value) < 10:
        return None if value is None else "*" * len(value)
    return value[:2] + "*" * (len(value) - 3) + value[-1:]


def _identifier(field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer) -> Any:
    return mask_identifier(value)


_LENDER_CODE: Final = ("code",)


def _other_institution(
    field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer
) -> Any:
    if needed.get(_LENDER_CODE) == viewer.code:
        return value
    return ANONYMISED_CODE if field == "code" else ANONYMISED_NAME


_INQUIRER_CODE: Final = ("requesterCode",)
_INQUIRER_FIELDS: Final[Mapping[str, str | None]] = {
    "requesterCode": ANONYMISED_CODE,
    "requesterName": ANONYMISED_NAME,
    "operator": None,
    "grantId": None,
}


def _other_inquirer(field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer) -> Any:
    if needed.get(_INQUIRER_CODE) == viewer.code:
        return value
    return _INQUIRER_FIELDS[field]


def _other_reporter(field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer) -> Any:
    if value is None or value == viewer.name:
        return value
    return ANONYMISED_NAME


_SCALE: Final = ("model", "scale")
_GRANTEE: Final = ("granteeCode",)

MASKS: Final[Mapping[str, Mask]] = {
    "identifier": Mask(
        "the identifier keeps its first two characters and its check character, the rest "
        "(birth date and sex included) is starred",
        (),
        _identifier,
    ),
    "other_institution": Mask(
        "an institution other than the asking bank shows as an anonymised institution",
        (_LENDER_CODE,),
        _other_institution,
    ),
    "other_inquirer": Mask(
        "an inquiry by anyone but the asking bank shows no inquirer, operator or grant",
        (_INQUIRER_CODE,),
        _other_inquirer,
    ),
    "other_reporter": Mask(
        "a reporting institution other than the asking bank shows as anonymised",
        (),
        _other_reporter,
    ),
}

FILTERS: Final[Mapping[str, Filter]] = {
    "bureau_score": Filter(
        "only the bureau's own score, with its reasons",
        (_SCALE,),
        lambda needed, viewer: needed.get(_SCALE) == "BUREAU",
    ),
    "own_grants": Filter(
        "only the grants made to the asking institution",
        (_GRANTEE,),
        lambda needed, viewer: needed.get(_GRANTEE) == viewer.code,
    ),
}
