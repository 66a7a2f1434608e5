"""The one home of the rules for the identifiers a credit report is keyed by.

A person is identified by an 18-character resident identity number (GB 11643-1999), an
organisation by an 18-character unified social credit code (GB 32100-2015). Input validation,
the demo-data generator and the database all need the same answer to "is this a real
identifier?", so the rules live here once. The database cannot import Python, so
`migrations/common/` holds a twin of the structural rules below for CHECK constraints (written
in 0001_identifiers.sql, as SQL expressions since 0003_identifier_checks_inlined.sql);
`tests/test_identifiers.py` runs both over thousands of values and proves they agree.
Change one and you must change the other.

The rules are deliberately those that can be checked from the string alone:

* resident identity number: 18 characters, the first 17 ASCII digits, the last a digit or an
  upper-case X; the first two digits a province-level code of GB/T 2260; characters 7-14 a
  calendar date between 1900-01-01 and 2099-12-31; and the MOD 11-2 check character correct.
* unified social credit code: 18 characters, all from the 31-symbol code alphabet (no I, O, Z, S
  or V); characters 3-8, the administrative division code, ASCII digits; and the MOD 31 check
  character correct.

Validators are strict: they never repair their input, because a repaired identifier is a
different identifier from the one the caller was given. The only repairs this module offers are
the two that cannot change which identifier is meant, in `normalise_identifier`, and callers
apply them explicitly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = [
    "MAX_BIRTH_DATE",
    "MIN_BIRTH_DATE",
    "PROVINCE_CODES",
    "USCC_ALPHABET",
    "InvalidIdentifier",
    "ResidentId",
    "UnifiedSocialCreditCode",
    "is_resident_id",
    "is_subject_identifier",
    "is_uscc",
    "make_resident_id",
    "make_uscc",
    "normalise_identifier",
    "resident_id_check_char",
    "uscc_check_char",
    "validate_identifier",
    "validate_resident_id",
    "validate_uscc",
]

LENGTH: Final = 18

# GB 11643-1999: weight of position i (1-based) is 2**(18 - i) mod 11; the weighted sum of the
# first 17 digits mod 11 indexes this string to give the check character.
_RESIDENT_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK_CHARS: Final = "10X98765432"

#: Province-level codes of GB/T 2260, the first two digits of every resident identity number
#: (71 Taiwan, 81 Hong Kong and 82 Macao are issued to residents of those regions).
PROVINCE_CODES: Final = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

#: Birth dates outside this range are not plausible for anyone the bureau holds, and a narrow
#: range catches a mistyped century.
MIN_BIRTH_DATE: Final = date(1900, 1, 1)
MAX_BIRTH_DATE: Final = date(2099, 12, 31)

# GB 32100-2015: the 31 symbols, in value order. I, O, Z, S and V are left out because they are
# too easily read as 1, 0, 2, 5 and U.
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final = {symbol: value for value, symbol in enumerate(USCC_ALPHABET)}
# Weight of position i (1-based) is 3**(i - 1) mod 31.
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# `[0-9]`, never `\d`: `\d` also matches Arabic-Indic, full-width and other Unicode digits, which
# PostgreSQL's twin (rightly) refuses. Always used with fullmatch, because `$` would accept a
# trailing newline.
_DIGITS: Final = re.compile(r"[0-9]+")

_RESIDENT: Final = "resident identity number"
_USCC: Final = "unified social credit code"


class InvalidIdentifier(ValueError):
    """An identifier, or a part of one, breaks a rule; the message says which rule, in one sentence.

    The message is written for the person who typed the value, so it names the exact problem
    ("has check character 1, expected X") rather than just "invalid".
    """


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A valid resident identity number and what it encodes.

    Obtain one from `validate_resident_id` or `validate_identifier`; the fields are decoded from
    `value` there, so they always agree with it.
    """

    value: str
    area_code: str
    """Six digits: the GB/T 2260 administrative division where the number was first issued."""
    birth_date: date
    sequence: int
    """0-999: orders people of the same area and birth date; its parity encodes gender."""
    gender: Literal["M", "F"]

    @property
    def kind(self) -> Literal["PERSON"]:
        """The subject kind this identifier belongs to, as stored in `bureau.subjects.kind`."""
        return "PERSON"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class UnifiedSocialCreditCode:
    """A valid unified social credit code and what it encodes.

    Obtain one from `validate_uscc` or `validate_identifier`; the fields are decoded from `value`
    there, so they always agree with it.
    """

    value: str
    department: str
    """Character 1: the registration department (for example 9 for market regulation)."""
    org_type: str
    """Character 2: the kind of organisation within that department's register."""
    division: str
    """Characters 3-8: the GB/T 2260 administrative division code of the registering office."""
    org_code: str
    """Characters 9-17: the organisation code, the former national organisation code."""

    @property
    def kind(self) -> Literal["ORGANISATION"]:
        """The subject kind this identifier belongs to, as stored in `bureau.subjects.kind`."""
        return "ORGANISATION"

    def __str__(self) -> str:
        return self.value


# --- helpers ------------------------------------------------------------------------------------


def _show(value: str) -> str:
    """The value as a message should print it: bare when plain, quoted when it has odd characters.

    Very long input is cut short so that an error message cannot be used to flood a log.
    """
    if len(value) > 40:
        return repr(value[:40]) + "…"
    if value and value.isprintable() and not any(ch.isspace() for ch in value):
        return value
    return repr(value)


def _is_ascii_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def _calendar_date(yyyymmdd: str) -> date | None:
    """The date spelled by eight ASCII digits, or None if no such calendar date exists."""
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def _length_problem(value: str) -> str | None:
    if len(value) != LENGTH:
        return f"must be {LENGTH} characters, got {len(value)}"
    return None


def _birth_date_problem(yyyymmdd: str) -> str | None:
    birth = _calendar_date(yyyymmdd)
    if birth is None:
        return f"has birth date {yyyymmdd}, which is not a calendar date"
    if birth < MIN_BIRTH_DATE:
        return f"has birth date {yyyymmdd}, which is before {MIN_BIRTH_DATE.isoformat()}"
    if birth > MAX_BIRTH_DATE:
        return f"has birth date {yyyymmdd}, which is after {MAX_BIRTH_DATE.isoformat()}"
    return None


def _resident_weighted_check(first17: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True)
    )
    return _RESIDENT_CHECK_CHARS[total % 11]


def _uscc_weighted_check(first17: str) -> str:
    total = sum(
        _USCC_VALUES[symbol] * weight for symbol, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _resident_id_problem(value: str) -> str | None:
    """What is wrong with value as a resident identity number, as a predicate; None if nothing.

    The checks run in the order a reader would fix them: length, characters, then meaning.
    """
    problem = _length_problem(value)
    if problem is not None:
        return problem
    for position, char in enumerate(value[:17], start=1):
        if not _is_ascii_digits(char):
            return f"has {char!r} at position {position}, where only a digit is allowed"
    last = value[17]
    if not (_is_ascii_digits(last) or last == "X"):
        return f"ends in {last!r}, but the check character must be a digit or an upper-case X"
    if value[:2] not in PROVINCE_CODES:
        return f"starts with {value[:2]}, which is not a province-level code of GB/T 2260"
    problem = _birth_date_problem(value[6:14])
    if problem is not None:
        return problem
    expected = _resident_weighted_check(value[:17])
    if last != expected:
        return f"has check character {last}, expected {expected}"
    return None


def _uscc_problem(value: str) -> str | None:
    """What is wrong with value as a unified social credit code, as a predicate; None if nothing."""
    problem = _length_problem(value)
    if problem is not None:
        return problem
    for char in value:
        if char not in _USCC_VALUES:
            return f"contains {char!r}, which is not in the code alphabet"
    division = value[2:8]
    if not _is_ascii_digits(division):
        return f"has administrative division code {division}, which is not six digits"
    expected = _uscc_weighted_check(value[:17])
    if value[17] != expected:
        return f"has check character {value[17]}, expected {expected}"
    return None


# --- check characters ---------------------------------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    """The GB 11643-1999 MOD 11-2 check character ('0'-'9' or 'X') for 17 ASCII digits.

    Only the digits are checked, not their meaning, so test code can build a number whose check
    character is right but whose birth date or area is wrong.
    """
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise InvalidIdentifier(
            f"the first 17 characters of a {_RESIDENT} must be 17 digits, got {_show(first17)}"
        )
    return _resident_weighted_check(first17)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 MOD 31 check character for 17 symbols of the code alphabet.

    Only the alphabet is checked, not the division code, for the same reason as
    `resident_id_check_char`.
    """
    if len(first17) != 17:
        raise InvalidIdentifier(
            f"the first 17 characters of a {_USCC} must be 17 characters, "
            f"got {len(first17)} in {_show(first17)}"
        )
    for char in first17:
        if char not in _USCC_VALUES:
            raise InvalidIdentifier(
                f"{_USCC} prefix {_show(first17)} contains {char!r}, "
                "which is not in the code alphabet"
            )
    return _uscc_weighted_check(first17)


# --- predicates ---------------------------------------------------------------------------------


def is_resident_id(value: str) -> bool:
    """Whether value is exactly a valid resident identity number (no normalisation)."""
    return _resident_id_problem(value) is None


def is_uscc(value: str) -> bool:
    """Whether value is exactly a valid unified social credit code (no normalisation)."""
    return _uscc_problem(value) is None


def is_subject_identifier(value: str) -> bool:
    """Whether value identifies a subject of either kind, a person or an organisation."""
    return is_resident_id(value) or is_uscc(value)


# --- validators ---------------------------------------------------------------------------------


def validate_resident_id(value: str) -> ResidentId:
    """The decoded resident identity number, or InvalidIdentifier saying what is wrong with it."""
    problem = _resident_id_problem(value)
    if problem is not None:
        raise InvalidIdentifier(f"{_RESIDENT} {_show(value)} {problem}")
    sequence = int(value[14:17])
    birth = _calendar_date(value[6:14])
    assert birth is not None  # guaranteed by _resident_id_problem
    return ResidentId(
        value=value,
        area_code=value[:6],
        birth_date=birth,
        sequence=sequence,
        gender="M" if sequence % 2 == 1 else "F",
    )


def validate_uscc(value: str) -> UnifiedSocialCreditCode:
    """The decoded unified social credit code, or InvalidIdentifier saying what is wrong with it."""
    problem = _uscc_problem(value)
    if problem is not None:
        raise InvalidIdentifier(f"{_USCC} {_show(value)} {problem}")
    return UnifiedSocialCreditCode(
        value=value,
        department=value[0],
        org_type=value[1],
        division=value[2:8],
        org_code=value[8:17],
    )


@functools.lru_cache(maxsize=4096)
def validate_identifier(value: str) -> ResidentId | UnifiedSocialCreditCode:
    """The decoded identifier of either kind, or InvalidIdentifier saying what is wrong.

    Kept for the identifiers last validated (an invalid one raises, and is not kept): the
    gateway and every subgraph a report reaches validate the same identifiers again, and the
    answer depends on the string alone (the bounds are fixed), decoded into frozen values.

    A string can, rarely, satisfy both standards (every resident identity number is spelled in the
    code alphabet, and about one in 31 also has a correct MOD 31 check character). Such a string
    is returned as a ResidentId: a person has no other identifier to fall back on. Callers who
    know which kind they expect should call `validate_resident_id` or `validate_uscc`.

    When the value fits neither, the message explains it against the standard(s) its characters
    could belong to, so that it still names the actual problem.
    """
    person_problem = _resident_id_problem(value)
    if person_problem is None:
        return validate_resident_id(value)
    organisation_problem = _uscc_problem(value)
    if organisation_problem is None:
        return validate_uscc(value)
    shown = _show(value)
    if len(value) != LENGTH:
        raise InvalidIdentifier(f"identifier {shown} {person_problem}")
    if all(char in _USCC_VALUES for char in value):
        if all(_is_ascii_digits(char) for char in value[:17]):
            # Digits throughout: it could be meant as either kind.
            raise InvalidIdentifier(
                f"identifier {shown} is neither a valid {_RESIDENT} ({person_problem}) "
                f"nor a valid {_USCC} ({organisation_problem})"
            )
        # Letters among the first 17 characters: only a unified social credit code has those.
        raise InvalidIdentifier(f"{_USCC} {shown} {organisation_problem}")
    stray = next(char for char in value if char not in _USCC_VALUES)
    raise InvalidIdentifier(
        f"identifier {shown} contains {stray!r}, which appears in neither a {_RESIDENT} "
        f"nor a {_USCC}"
    )


def normalise_identifier(value: str) -> str:
    """Value with surrounding whitespace removed and a trailing lower-case 'x' made upper-case.

    These are the only two repairs made, and only because neither can turn one real identifier
    into another: whitespace is never part of an identifier, and an 'x' at the end can only be a
    resident identity number's check character X written by hand. Other lower-case letters are
    left for the validators to reject, since silently accepting them would hide typing errors.
    """
    stripped = value.strip()
    if stripped.endswith("x"):
        return stripped[:-1] + "X"
    return stripped


# --- generators ---------------------------------------------------------------------------------


def make_resident_id(area_code: str, birth_date: date, sequence: int) -> str:
    """A valid resident identity number for these parts, with its check character computed.

    Used by the demo-data generator and by tests; raises InvalidIdentifier when a part could not
    appear in a valid number, so a generator can never produce one the database would refuse.
    """
    if len(area_code) != 6 or not _is_ascii_digits(area_code):
        raise InvalidIdentifier(f"area code {_show(area_code)} must be six digits")
    if area_code[:2] not in PROVINCE_CODES:
        raise InvalidIdentifier(
            f"area code {area_code} starts with {area_code[:2]}, "
            "which is not a province-level code of GB/T 2260"
        )
    if not MIN_BIRTH_DATE <= birth_date <= MAX_BIRTH_DATE:
        raise InvalidIdentifier(
            f"birth date {birth_date.isoformat()} is outside "
            f"{MIN_BIRTH_DATE.isoformat()} to {MAX_BIRTH_DATE.isoformat()}"
        )
    if isinstance(sequence, bool) or not 0 <= sequence <= 999:
        raise InvalidIdentifier(f"sequence {sequence!r} must be a whole number from 0 to 999")
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + _resident_weighted_check(first17)


def make_uscc(department: str, org_type: str, division: str, org_code: str) -> str:
    """A valid unified social credit code for these parts, with its check character computed.

    Raises InvalidIdentifier when a part is the wrong length or uses a symbol outside the code
    alphabet, or the division code is not six digits.
    """
    for label, part, size in (
        ("registration department", department, 1),
        ("organisation type", org_type, 1),
        ("organisation code", org_code, 9),
    ):
        if len(part) != size:
            noun = "character" if size == 1 else "characters"
            raise InvalidIdentifier(f"{label} {_show(part)} must be {size} {noun}")
        for char in part:
            if char not in _USCC_VALUES:
                raise InvalidIdentifier(
                    f"{label} {_show(part)} contains {char!r}, which is not in the code alphabet"
                )
    if len(division) != 6 or not _is_ascii_digits(division):
        raise InvalidIdentifier(
            f"administrative division code {_show(division)} must be six digits"
        )
    first17 = f"{department}{org_type}{division}{org_code}"
    return first17 + _uscc_weighted_check(first17)
