"""Hypothesis strategies, and plain-Python twins of them, for identifiers.

Valid identifiers are built from their parts with the same generators the demo-data generator
uses (`make_resident_id`, `make_uscc`), so a test of "every generated id validates" also tests
the generators.

Near misses are the inputs a validator is most likely to get wrong: one character changed, two
swapped, one missing or extra, lower case, symbols outside the code alphabet, Unicode digits,
whitespace, and, hardest of all, values whose check character is correct but whose birth date,
province or division code is not. Each mutation is a plain function of a `random.Random`, so the
Hypothesis strategies and the deterministic corpus the SQL-twin test sends to PostgreSQL share one
implementation. Every near miss is invalid as the kind it was made from (the tests assert this);
it may, by chance, be valid as the other kind.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

from hypothesis import strategies as st

from creditgraph.identifiers import (
    MAX_BIRTH_DATE,
    MIN_BIRTH_DATE,
    PROVINCE_CODES,
    USCC_ALPHABET,
    make_resident_id,
    make_uscc,
    resident_id_check_char,
    uscc_check_char,
)

Kind = Literal["PERSON", "ORGANISATION"]

_PROVINCES = sorted(PROVINCE_CODES)
_DIGITS = string.digits
#: Letters that GB 32100 leaves out of the code alphabet.
OUT_OF_ALPHABET = "IOZSV"
#: Characters that look like, or are mistaken for, identifier characters: every ASCII letter
#: and digit, lower-case letters, Unicode digits (Arabic-Indic, full-width, Devanagari),
#: the letter O and the full-width X, and whitespace.
_CONFUSABLES = (
    string.digits
    + string.ascii_uppercase
    + string.ascii_lowercase
    + "\u0663\uff11\u0967\uff38\u00d7 \t\n-"
)
#: Province prefixes that GB/T 2260 does not define.
NON_PROVINCES = tuple(f"{n:02d}" for n in range(100) if f"{n:02d}" not in PROVINCE_CODES)
#: Eight digits that are not a birth date a valid number can carry.
BAD_BIRTH_DATES = (
    "19490229",  # 1949 was not a leap year
    "19000229",  # 1900 was not a leap year (divisible by 100, not by 400)
    "21000228",  # after 2099
    "18991231",  # before 1900
    "20230231",
    "20230431",
    "20230631",
    "20230931",
    "20231131",
    "20231301",
    "20230001",
    "20230100",
    "20230132",
    "00000000",
    "99999999",
)

# --- valid identifiers: Hypothesis ------------------------------------------------------------


def resident_id_parts() -> st.SearchStrategy[tuple[str, date, int]]:
    """(area code, birth date, sequence) for a valid resident identity number."""
    area_codes = st.builds(
        lambda province, rest: province + rest,
        st.sampled_from(_PROVINCES),
        st.text(_DIGITS, min_size=4, max_size=4),
    )
    return st.tuples(
        area_codes,
        st.dates(min_value=MIN_BIRTH_DATE, max_value=MAX_BIRTH_DATE),
        st.integers(min_value=0, max_value=999),
    )


def resident_ids() -> st.SearchStrategy[str]:
    """Valid resident identity numbers."""
    return resident_id_parts().map(lambda parts: make_resident_id(*parts))


def uscc_parts() -> st.SearchStrategy[tuple[str, str, str, str]]:
    """(department, organisation type, division, organisation code) for a valid code."""
    symbol = st.sampled_from(USCC_ALPHABET)
    return st.tuples(
        symbol,
        symbol,
        st.text(_DIGITS, min_size=6, max_size=6),
        st.text(USCC_ALPHABET, min_size=9, max_size=9),
    )


def usccs() -> st.SearchStrategy[str]:
    """Valid unified social credit codes."""
    return uscc_parts().map(lambda parts: make_uscc(*parts))


# --- valid identifiers: plain Python ----------------------------------------------------------

_DAYS_IN_RANGE = (MAX_BIRTH_DATE - MIN_BIRTH_DATE).days


def random_resident_id(rng: random.Random) -> str:
    """A valid resident identity number drawn from rng."""
    area = rng.choice(_PROVINCES) + "".join(rng.choices(_DIGITS, k=4))
    born = MIN_BIRTH_DATE + timedelta(days=rng.randint(0, _DAYS_IN_RANGE))
    return make_resident_id(area, born, rng.randint(0, 999))


def random_uscc(rng: random.Random) -> str:
    """A valid unified social credit code drawn from rng."""
    return make_uscc(
        rng.choice(USCC_ALPHABET),
        rng.choice(USCC_ALPHABET),
        "".join(rng.choices(_DIGITS, k=6)),
        "".join(rng.choices(USCC_ALPHABET, k=9)),
    )


# --- near misses --------------------------------------------------------------------------------

Mutation = Callable[[random.Random, str, Kind], str]


def _replace(value: str, index: int, char: str) -> str:
    return value[:index] + char + value[index + 1 :]


def substitute(rng: random.Random, value: str, kind: Kind) -> str:
    """One character replaced by a different one: MOD 11-2 and MOD 31 catch every such change."""
    index = rng.randrange(len(value))
    pool = (_DIGITS + "X") if kind == "PERSON" else USCC_ALPHABET
    if rng.random() < 0.3:
        pool = _CONFUSABLES
    choices = [c for c in pool if c != value[index]]
    return _replace(value, index, rng.choice(choices))


def transpose(rng: random.Random, value: str, kind: Kind) -> str:
    """Two different adjacent characters among the first 17 swapped.

    Both standards catch every such swap: consecutive weights differ by a unit modulo 11
    (w[i] = 2·w[i+1]) and modulo 31 (w[i+1] = 3·w[i]). A swap with the check character itself
    is not guaranteed to be caught, so it is not made.
    """
    candidates = [i for i in range(16) if value[i] != value[i + 1]]
    if not candidates:
        return substitute(rng, value, kind)
    i = rng.choice(candidates)
    return value[:i] + value[i + 1] + value[i] + value[i + 2 :]


def truncate(rng: random.Random, value: str, kind: Kind) -> str:
    """One or more characters cut from the start, the end or the middle."""
    cut = rng.randint(1, 3)
    where = rng.choice(("start", "end", "middle"))
    if where == "start":
        return value[cut:]
    if where == "end":
        return value[:-cut]
    index = rng.randrange(len(value) - cut)
    return value[:index] + value[index + cut :]


def extend(rng: random.Random, value: str, kind: Kind) -> str:
    """A character added at the start, the end or in the middle."""
    index = rng.randint(0, len(value))
    return value[:index] + rng.choice(_DIGITS + USCC_ALPHABET) + value[index:]


def pad(rng: random.Random, value: str, kind: Kind) -> str:
    """Surrounding whitespace, which only normalise_identifier may remove."""
    return rng.choice(("", " ", "\t", "\u3000")) + value + rng.choice((" ", "\n", "\r\n", "\xa0"))


def lower(rng: random.Random, value: str, kind: Kind) -> str:
    """Letters in lower case (X as x); validators accept upper case only."""
    letters = [i for i, c in enumerate(value) if c.isalpha()]
    if not letters:
        return substitute(rng, value, kind)
    if rng.random() < 0.5:
        return value.lower()
    i = rng.choice(letters)
    return _replace(value, i, value[i].lower())


def out_of_alphabet(rng: random.Random, value: str, kind: Kind) -> str:
    """A letter the code alphabet leaves out (I, O, Z, S, V) in place of a symbol."""
    return _replace(value, rng.randrange(len(value)), rng.choice(OUT_OF_ALPHABET))


def bad_birth_date(rng: random.Random, value: str, kind: Kind) -> str:
    """A resident identity number with an impossible birth date and a correct check character."""
    if kind != "PERSON":
        return non_digit_division(rng, value, kind)
    first17 = value[:6] + rng.choice(BAD_BIRTH_DATES) + value[14:17]
    return first17 + resident_id_check_char(first17)


def bad_province(rng: random.Random, value: str, kind: Kind) -> str:
    """A resident identity number whose first two digits are no province, with a correct check."""
    if kind != "PERSON":
        return non_digit_division(rng, value, kind)
    first17 = rng.choice(NON_PROVINCES) + value[2:17]
    return first17 + resident_id_check_char(first17)


def non_digit_division(rng: random.Random, value: str, kind: Kind) -> str:
    """A code with a letter in its division code (characters 3-8) and a correct check character."""
    if kind != "ORGANISATION":
        return bad_birth_date(rng, value, kind)
    first17 = _replace(value[:17], rng.randint(2, 7), rng.choice(USCC_ALPHABET[10:]))
    return first17 + uscc_check_char(first17)


def unicode_digit(rng: random.Random, value: str, kind: Kind) -> str:
    """An ASCII digit replaced by the same digit from another script, which `\\d` would accept."""
    digits = [i for i, c in enumerate(value) if c in _DIGITS]
    if not digits:
        return substitute(rng, value, kind)
    i = rng.choice(digits)
    zero = rng.choice((0x0660, 0xFF10, 0x0966, 0x1D7CE))  # Arabic-Indic, full-width, ...
    return _replace(value, i, chr(zero + int(value[i])))


MUTATIONS: tuple[Mutation, ...] = (
    substitute,
    transpose,
    truncate,
    extend,
    pad,
    lower,
    out_of_alphabet,
    bad_birth_date,
    bad_province,
    non_digit_division,
    unicode_digit,
)


def near_miss(rng: random.Random, value: str, kind: Kind) -> str:
    """A near miss of value, which is a valid identifier of the given kind."""
    return rng.choice(MUTATIONS)(rng, value, kind)


def resident_id_near_misses() -> st.SearchStrategy[str]:
    """Invalid resident identity numbers, each one mutation away from a valid one."""
    return st.builds(
        lambda value, mutate, rng: mutate(rng, value, "PERSON"),
        resident_ids(),
        st.sampled_from(MUTATIONS),
        st.randoms(use_true_random=False),
    )


def uscc_near_misses() -> st.SearchStrategy[str]:
    """Invalid unified social credit codes, each one mutation away from a valid one."""
    return st.builds(
        lambda value, mutate, rng: mutate(rng, value, "ORGANISATION"),
        usccs(),
        st.sampled_from(MUTATIONS),
        st.randoms(use_true_random=False),
    )


def near_miss_identifiers() -> st.SearchStrategy[str]:
    """Near misses of both kinds."""
    return st.one_of(resident_id_near_misses(), uscc_near_misses())
