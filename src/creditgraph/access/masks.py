"""Masks and filters: what an edition does to values it may see only in part.

A mask replaces one field's value; a filter drops list items. Both decide
from fetched values (whose lender is this, whose grant), so they run on the
subgraphs' answers before anything leaves the gateway. Each declares the
fields it reads (`needs`, paths from the object or list item): the gateway
fetches those under its own aliases even when the client did not ask, and
never returns them.

A masked party is hidden whole: its code, its name, and the references that
carry them (another lender's account and contract numbers embed its code).
Where a reader must still tell hidden parties apart, each gets an opaque
reference (`anonymised-2`, `account-5`) numbered in the order it first
appears in the one response: the same party is the same reference throughout
that response, and the reference means nothing outside it.

The policy file names them; this module is their one implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

ANONYMISED_CODE: Final = "anonymised"
ANONYMISED_NAME: Final = "其他机构 Another institution"


class References:
    """Opaque references for one response: one per hidden value and kind, numbered from 1."""

    def __init__(self) -> None:
        self._given: dict[tuple[str, str], int] = {}
        self._counts: dict[str, int] = {}

    def of(self, kind: str, value: object) -> int:
        key = (kind, str(value))
        found = self._given.get(key)
        if found is None:
            found = self._given[key] = self._counts[kind] = self._counts.get(kind, 0) + 1
        return found


@dataclass(frozen=True, slots=True)
class Viewer:
    """The requester as masks see it: the institution's code and name (a subject's own id),
    and the opaque references given so far in this response."""

    code: str
    name: str | None
    references: References = field(default_factory=References)


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


def _anonymised(field: str, code: object, viewer: Viewer) -> str:
    """An institution's code or name, hidden: the same reference for the same institution."""
    number = viewer.references.of("institution", code)
    if field in ("code", "requesterCode"):
        return f"{ANONYMISED_CODE}-{number}"
    return f"{ANONYMISED_NAME} {number}"


def _other_institution(
    field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer
) -> Any:
    code = needed.get(_LENDER_CODE)
    if code == viewer.code or value is None:
        return value
    return _anonymised(field, code, viewer)


_ACCOUNT_LENDER: Final = ("lender", "code")
_GUARANTEED_LENDER: Final = ("account", "lender", "code")


def _reference(
    kind: str, lender: NeedPath
) -> Callable[[str, Any, Mapping[NeedPath, Any], Viewer], Any]:
    """A lender's own reference number, kept for the asking lender, opaque for another."""

    def apply(field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer) -> Any:
        if value is None or needed.get(lender) == viewer.code:
            return value
        return f"{kind}-{viewer.references.of(kind, value)}"

    return apply


_INQUIRER_CODE: Final = ("requesterCode",)
# an inquiry's fields shown as an opaque reference; its operator and grant become null
_INQUIRER_REFERENCED: Final = frozenset({"requesterCode", "requesterName"})


def _other_inquirer(field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer) -> Any:
    code = needed.get(_INQUIRER_CODE)
    if code == viewer.code:
        return value
    return _anonymised(field, code, viewer) if field in _INQUIRER_REFERENCED else None


def _other_reporter(field: str, value: Any, needed: Mapping[NeedPath, Any], viewer: Viewer) -> Any:
    # a reporter is known by its name only: it gets a reference of its own, from the same
    # counter as institutions known by code, so the two never share a number by accident
    if value is None or value == viewer.name:
        return value
    return f"{ANONYMISED_NAME} {viewer.references.of('institution', value)}"


_SCALE: Final = ("model", "scale")
_GRANTEE: Final = ("granteeCode",)
_NOTIFIED: Final = ("institutionCode",)

MASKS: Final[Mapping[str, Mask]] = {
    "identifier": Mask(
        "the identifier keeps its first two characters and its check character, the rest "
        "(birth date and sex included) is starred",
        (),
        _identifier,
    ),
    "other_institution": Mask(
        "an institution other than the asking bank shows as an anonymised institution, "
        "with a reference of this response only (`anonymised-1`)",
        (_LENDER_CODE,),
        _other_institution,
    ),
    "other_lender_reference": Mask(
        "another lender's account number, which carries that lender's code, shows as a "
        "reference of this response only (`account-1`)",
        (_ACCOUNT_LENDER,),
        _reference("account", _ACCOUNT_LENDER),
    ),
    "guaranteed_lender_reference": Mask(
        "the contract number of a guarantee for another lender's account shows as a "
        "reference of this response only (`contract-1`)",
        (_GUARANTEED_LENDER,),
        _reference("contract", _GUARANTEED_LENDER),
    ),
    "other_inquirer": Mask(
        "an inquiry by anyone but the asking bank shows an anonymised inquirer (a reference "
        "of this response only) and no operator, grant or eligibility answer",
        (_INQUIRER_CODE,),
        _other_inquirer,
    ),
    "other_reporter": Mask(
        "an institution named by name (a reporter, a court case's applicant) other than the "
        "asking bank shows as anonymised, with a reference of this response only",
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
    "own_notices": Filter(
        "only the notices of joint measures sent to the asking institution",
        (_NOTIFIED,),
        lambda needed, viewer: needed.get(_NOTIFIED) == viewer.code,
    ),
}
