"""Identifier rules: the published vectors, the guarantees of the check schemes, the messages,
and the agreement of the Python rules with their database twin in migrations/common.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditgraph.identifiers import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    InvalidIdentifier,
    ResidentId,
    UnifiedSocialCreditCode,
    is_resident_id,
    is_subject_identifier,
    is_uscc,
    make_resident_id,
    make_uscc,
    normalise_identifier,
    resident_id_check_char,
    uscc_check_char,
    validate_identifier,
    validate_resident_id,
    validate_uscc,
)
from tests.strategies import (
    BAD_BIRTH_DATES,
    NON_PROVINCES,
    near_miss,
    near_miss_identifiers,
    pad,
    random_resident_id,
    random_uscc,
    resident_id_near_misses,
    resident_id_parts,
    resident_ids,
    uscc_near_misses,
    uscc_parts,
    usccs,
)

# Published known-valid vectors, checked independently of this code: a woman born
# 1949-12-31 in Chaoyang, Beijing (check character X), and an enterprise registered in Beijing.
RESIDENT_VECTOR = "11010519491231002X"
USCC_VECTOR = "91110000600037341L"


def _with_resident_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def _with_uscc_check(first17: str) -> str:
    return first17 + uscc_check_char(first17)


# --- published vectors --------------------------------------------------------------------------


def test_resident_vector_is_valid_and_decoded() -> None:
    assert resident_id_check_char(RESIDENT_VECTOR[:17]) == "X"
    assert validate_resident_id(RESIDENT_VECTOR) == ResidentId(
        value=RESIDENT_VECTOR,
        area_code="110105",
        birth_date=date(1949, 12, 31),
        sequence=2,
        gender="F",
    )
    assert make_resident_id("110105", date(1949, 12, 31), 2) == RESIDENT_VECTOR
    assert is_resident_id(RESIDENT_VECTOR)
    assert is_subject_identifier(RESIDENT_VECTOR)
    assert validate_resident_id(RESIDENT_VECTOR).kind == "PERSON"


def test_uscc_vector_is_valid_and_decoded() -> None:
    assert uscc_check_char(USCC_VECTOR[:17]) == "L"
    assert validate_uscc(USCC_VECTOR) == UnifiedSocialCreditCode(
        value=USCC_VECTOR,
        department="9",
        org_type="1",
        division="110000",
        org_code="600037341",
    )
    assert make_uscc("9", "1", "110000", "600037341") == USCC_VECTOR
    assert is_uscc(USCC_VECTOR)
    assert not is_resident_id(USCC_VECTOR)
    assert is_subject_identifier(USCC_VECTOR)
    assert validate_identifier(USCC_VECTOR).kind == "ORGANISATION"


def test_uscc_check_value_zero_is_symbol_zero() -> None:
    # 31 - (sum mod 31) is 31 when the sum is a multiple of 31; the standard writes that as 0.
    assert uscc_check_char("0" * 17) == "0"
    assert is_uscc("000000000000000000")


def test_decoded_identifiers_are_frozen_and_print_as_their_value() -> None:
    person = validate_resident_id(RESIDENT_VECTOR)
    organisation = validate_uscc(USCC_VECTOR)
    assert str(person) == RESIDENT_VECTOR
    assert str(organisation) == USCC_VECTOR
    with pytest.raises(dataclasses.FrozenInstanceError):
        person.sequence = 3  # type: ignore[misc]
    assert not hasattr(person, "__dict__")  # slots


# --- generated identifiers ----------------------------------------------------------------------


@given(resident_id_parts())
def test_generated_resident_ids_validate_and_round_trip(parts: tuple[str, date, int]) -> None:
    area_code, birth_date, sequence = parts
    value = make_resident_id(area_code, birth_date, sequence)
    decoded = validate_resident_id(value)
    assert decoded.value == value
    assert (decoded.area_code, decoded.birth_date, decoded.sequence) == parts
    assert decoded.gender == ("M" if sequence % 2 == 1 else "F")
    assert decoded.kind == "PERSON"
    assert is_resident_id(value)
    assert is_subject_identifier(value)
    assert validate_identifier(value) == decoded
    assert normalise_identifier(value) == value


@given(uscc_parts())
def test_generated_usccs_validate_and_round_trip(parts: tuple[str, str, str, str]) -> None:
    value = make_uscc(*parts)
    decoded = validate_uscc(value)
    assert decoded.value == value
    assert (decoded.department, decoded.org_type, decoded.division, decoded.org_code) == parts
    assert decoded.kind == "ORGANISATION"
    assert is_uscc(value)
    assert is_subject_identifier(value)
    assert validate_identifier(value).value == value
    if not is_resident_id(value):
        assert validate_identifier(value) == decoded


@given(resident_ids())
def test_odd_sequence_is_a_man_even_a_woman(value: str) -> None:
    expected = "M" if int(value[16]) % 2 == 1 else "F"
    assert validate_resident_id(value).gender == expected


# --- what the check schemes guarantee -----------------------------------------------------------


@settings(max_examples=50)
@given(resident_ids())
def test_every_single_substitution_of_a_resident_id_is_rejected(value: str) -> None:
    # MOD 11-2: every weight is a unit mod 11 and digits differ by 1-9, so any one changed digit
    # changes the weighted sum mod 11; a changed check character no longer matches it.
    for index, original in enumerate(value):
        for replacement in "0123456789X":
            if replacement != original:
                changed = value[:index] + replacement + value[index + 1 :]
                assert not is_resident_id(changed), changed


@settings(max_examples=50)
@given(usccs())
def test_every_single_substitution_of_a_uscc_is_rejected(value: str) -> None:
    # MOD 31: 31 is prime, so every weight is a unit and any one changed symbol changes the sum.
    for index, original in enumerate(value):
        for replacement in USCC_ALPHABET:
            if replacement != original:
                changed = value[:index] + replacement + value[index + 1 :]
                assert not is_uscc(changed), changed


@given(st.one_of(resident_ids(), usccs()), st.integers(min_value=0, max_value=15))
def test_adjacent_transpositions_in_the_body_are_rejected(value: str, index: int) -> None:
    swapped = value[:index] + value[index + 1] + value[index] + value[index + 2 :]
    if swapped == value:
        return
    if is_resident_id(value):
        assert not is_resident_id(swapped)
    if is_uscc(value):
        assert not is_uscc(swapped)


@given(resident_id_near_misses())
def test_resident_id_near_misses_are_rejected(value: str) -> None:
    assert not is_resident_id(value)
    with pytest.raises(InvalidIdentifier):
        validate_resident_id(value)


@given(uscc_near_misses())
def test_uscc_near_misses_are_rejected(value: str) -> None:
    assert not is_uscc(value)
    with pytest.raises(InvalidIdentifier):
        validate_uscc(value)


@given(near_miss_identifiers())
def test_validate_identifier_agrees_with_the_predicates(value: str) -> None:
    if is_subject_identifier(value):
        assert validate_identifier(value).value == value
        return
    with pytest.raises(InvalidIdentifier) as caught:
        validate_identifier(value)
    message = str(caught.value)
    assert "\n" not in message
    assert len(message) < 400


# --- structural rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "valid"),
    [
        ("20000229", True),  # divisible by 400: a leap year
        ("20040229", True),
        ("19000101", True),
        ("20991231", True),
        ("19490229", False),
        ("19000229", False),  # divisible by 100 but not 400: not a leap year
        ("19490231", False),
        ("19490431", False),
        ("19491301", False),
        ("19490001", False),
        ("19490100", False),
        ("18991231", False),
        ("21000101", False),
    ],
)
def test_birth_date_must_be_a_calendar_date_in_range(birth: str, valid: bool) -> None:
    value = _with_resident_check("110105" + birth + "002")
    assert is_resident_id(value) is valid
    if valid:
        parsed = validate_resident_id(value).birth_date
        assert parsed.strftime("%Y%m%d") == birth


def test_every_province_code_and_no_other() -> None:
    for prefix in (f"{n:02d}" for n in range(100)):
        value = _with_resident_check(prefix + "0105" + "19800101" + "123")
        assert is_resident_id(value) is (prefix in PROVINCE_CODES), prefix
    assert len(PROVINCE_CODES) == 34
    assert len(NON_PROVINCES) == 66


def test_division_code_must_be_digits() -> None:
    assert is_uscc(_with_uscc_check("91110000MA0000001"))
    assert not is_uscc(_with_uscc_check("9111000AMA0000001"))
    assert not is_uscc(_with_uscc_check("91A10000MA0000001"))


def test_validators_are_strict() -> None:
    lower_x = RESIDENT_VECTOR.lower()
    assert not is_resident_id(lower_x)
    assert not is_resident_id(" " + RESIDENT_VECTOR)
    assert not is_resident_id(RESIDENT_VECTOR + "\n")
    assert not is_uscc(USCC_VECTOR.lower())
    # Unicode digits are digits to str.isdigit and re's \d, but not in an identifier.
    assert not is_resident_id("1101051949123100\u0662X")
    assert not is_resident_id("\uff11" + RESIDENT_VECTOR[1:])
    assert not is_uscc("9111000\u0660600037341L")


def test_a_string_valid_as_both_kinds_is_taken_as_a_person() -> None:
    # Resident identity numbers are spelled in the code alphabet with digits at 3-8, so about one
    # in 31 also has a correct MOD 31 check character.
    both = next(
        value
        for value in (make_resident_id("110105", date(1980, 1, 1), n) for n in range(1000))
        if is_uscc(value)
    )
    assert is_resident_id(both)
    assert isinstance(validate_identifier(both), ResidentId)
    assert isinstance(validate_uscc(both), UnifiedSocialCreditCode)


# --- messages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "110105194912310021",
            "resident identity number 110105194912310021 has check character 1, expected X",
        ),
        (
            _with_resident_check("11010519490231002"),
            "resident identity number 110105194902310026 has birth date 19490231, "
            "which is not a calendar date",
        ),
        (
            _with_resident_check("11010518991231002"),
            "resident identity number 110105189912310023 has birth date 18991231, "
            "which is before 1900-01-01",
        ),
        (
            "11010519491231002",
            "resident identity number 11010519491231002 must be 18 characters, got 17",
        ),
        (
            "11010519491231002x",
            "resident identity number 11010519491231002x ends in 'x', "
            "but the check character must be a digit or an upper-case X",
        ),
        (
            "1101X519491231002X",
            "resident identity number 1101X519491231002X has 'X' at position 5, "
            "where only a digit is allowed",
        ),
        (
            _with_resident_check("99010519491231002"),
            "resident identity number 990105194912310023 starts with 99, "
            "which is not a province-level code of GB/T 2260",
        ),
        (
            " 11010519491231002X",
            "resident identity number ' 11010519491231002X' must be 18 characters, got 19",
        ),
    ],
)
def test_resident_id_messages_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        validate_resident_id(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "91110000600037341X",
            "unified social credit code 91110000600037341X has check character X, expected L",
        ),
        (
            "9111000060003I341L",
            "unified social credit code 9111000060003I341L contains 'I', "
            "which is not in the code alphabet",
        ),
        (
            "9111000060003734lL",
            "unified social credit code 9111000060003734lL contains 'l', "
            "which is not in the code alphabet",
        ),
        (
            _with_uscc_check("9111000AMA0000001"),
            "unified social credit code 9111000AMA00000015 has administrative division code "
            "11000A, which is not six digits",
        ),
        (
            "9111000060003734",
            "unified social credit code 9111000060003734 must be 18 characters, got 16",
        ),
    ],
)
def test_uscc_messages_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        validate_uscc(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("123", "identifier 123 must be 18 characters, got 3"),
        ("", "identifier '' must be 18 characters, got 0"),
        (
            "110105194912310021",
            "identifier 110105194912310021 is neither a valid resident identity number "
            "(has check character 1, expected X) nor a valid unified social credit code "
            "(has check character 1, expected B)",
        ),
        (
            "91110000600037341X",
            "identifier 91110000600037341X is neither a valid resident identity number "
            "(starts with 91, which is not a province-level code of GB/T 2260) "
            "nor a valid unified social credit code (has check character X, expected L)",
        ),
        (
            "9111000060003734AL",
            "unified social credit code 9111000060003734AL has check character L, expected G",
        ),
        (
            "11010519491231002x",
            "identifier 11010519491231002x contains 'x', which appears in neither "
            "a resident identity number nor a unified social credit code",
        ),
    ],
)
def test_validate_identifier_messages_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        validate_identifier(value)
    assert str(caught.value) == message


def test_long_input_is_cut_short_in_messages() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        validate_identifier("9" * 10_000)
    assert len(str(caught.value)) < 120
    assert str(caught.value).endswith("must be 18 characters, got 10000")


def test_invalid_identifier_is_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("11010519491231002x", "11010519491231002X"),
        ("  11010519491231002x\n", "11010519491231002X"),
        ("\t91110000600037341L\r\n", "91110000600037341L"),
        ("\u300011010519491231002X\xa0", "11010519491231002X"),
        # Nothing else is repaired: other lower-case letters are typing errors to report.
        ("91110000600037341l", "91110000600037341l"),
        ("9111000060003734xl", "9111000060003734xl"),
        ("1101 0519491231002X", "1101 0519491231002X"),
        ("", ""),
    ],
)
def test_normalise_identifier(raw: str, normalised: str) -> None:
    assert normalise_identifier(raw) == normalised
    assert normalise_identifier(normalised) == normalised


@given(resident_ids(), st.randoms(use_true_random=False))
def test_normalising_recovers_a_padded_resident_id(value: str, rng: random.Random) -> None:
    padded = pad(rng, value.lower(), "PERSON")
    assert not is_resident_id(padded)
    assert normalise_identifier(padded) == value


@given(usccs(), st.randoms(use_true_random=False))
def test_normalising_recovers_a_padded_uscc(value: str, rng: random.Random) -> None:
    assert normalise_identifier(pad(rng, value, "ORGANISATION")) == value


# --- generators ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area_code", "birth_date", "sequence", "message"),
    [
        ("11010", date(1980, 1, 1), 1, "area code 11010 must be six digits"),
        ("11010A", date(1980, 1, 1), 1, "area code 11010A must be six digits"),
        (
            "990105",
            date(1980, 1, 1),
            1,
            "area code 990105 starts with 99, which is not a province-level code of GB/T 2260",
        ),
        (
            "110105",
            date(1899, 12, 31),
            1,
            "birth date 1899-12-31 is outside 1900-01-01 to 2099-12-31",
        ),
        ("110105", date(1980, 1, 1), 1000, "sequence 1000 must be a whole number from 0 to 999"),
        ("110105", date(1980, 1, 1), -1, "sequence -1 must be a whole number from 0 to 999"),
    ],
)
def test_make_resident_id_refuses_bad_parts(
    area_code: str, birth_date: date, sequence: int, message: str
) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        make_resident_id(area_code, birth_date, sequence)
    assert str(caught.value) == message


_PARTS_AND_MESSAGES: list[tuple[tuple[str, str, str, str], str]] = [
    (("91", "1", "110000", "600037341"), "registration department 91 must be 1 character"),
    (
        ("I", "1", "110000", "600037341"),
        "registration department I contains 'I', which is not in the code alphabet",
    ),
    (("9", "", "110000", "600037341"), "organisation type '' must be 1 character"),
    (
        ("9", "1", "11000A", "600037341"),
        "administrative division code 11000A must be six digits",
    ),
    (("9", "1", "110000", "60003734"), "organisation code 60003734 must be 9 characters"),
    (
        ("9", "1", "110000", "60003734o"),
        "organisation code 60003734o contains 'o', which is not in the code alphabet",
    ),
]


@pytest.mark.parametrize(("parts", "message"), _PARTS_AND_MESSAGES)
def test_make_uscc_refuses_bad_parts(parts: tuple[str, str, str, str], message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        make_uscc(*parts)
    assert str(caught.value) == message


def test_check_char_functions_refuse_bad_input() -> None:
    with pytest.raises(InvalidIdentifier, match="must be 17 digits"):
        resident_id_check_char("1101051949123100")
    with pytest.raises(InvalidIdentifier, match="must be 17 digits"):
        resident_id_check_char("1101051949123100X")
    with pytest.raises(InvalidIdentifier, match="must be 17 characters"):
        uscc_check_char("9111000060003734")
    with pytest.raises(InvalidIdentifier, match="contains 'O'"):
        uscc_check_char("9111000060003734O")


# --- the database twin --------------------------------------------------------------------------


def _twin_corpus() -> list[str]:
    """A few thousand values, the same on every run, chosen to reach every rule of both twins."""
    rng = random.Random(1)
    values: list[str] = [
        "",
        "X",
        RESIDENT_VECTOR,
        RESIDENT_VECTOR.lower(),
        " " + RESIDENT_VECTOR,
        RESIDENT_VECTOR + "\n",
        RESIDENT_VECTOR + "0",
        USCC_VECTOR,
        USCC_VECTOR.lower(),
        "000000000000000000",
        "1101051949123100\u0662X",
        "\uff11" + RESIDENT_VECTOR[1:],
        "9111000\u0660600037341L",
    ]
    for birth in ("19000101", "20991231", "20000229", "20040229", *BAD_BIRTH_DATES):
        values.append(_with_resident_check("110105" + birth + "003"))
    for prefix in (f"{n:02d}" for n in range(100)):
        values.append(_with_resident_check(prefix + "0105" + "19800101" + "123"))
    persons = [random_resident_id(rng) for _ in range(1000)]
    organisations = [random_uscc(rng) for _ in range(1000)]
    values += persons + organisations
    values += [near_miss(rng, value, "PERSON") for value in persons for _ in range(2)]
    values += [near_miss(rng, value, "ORGANISATION") for value in organisations for _ in range(2)]
    # Right check character, anything else left to chance: reaches the province and date rules.
    values += [_with_resident_check("".join(rng.choices("0123456789", k=17))) for _ in range(500)]
    # The same for codes: reaches the division rule.
    values += [_with_uscc_check("".join(rng.choices(USCC_ALPHABET, k=17))) for _ in range(500)]
    noise = "0123456789X" + USCC_ALPHABET + "IOSVZxl \u0663\uff11-"
    values += ["".join(rng.choices(noise, k=18)) for _ in range(700)]
    values += ["".join(rng.choices(noise, k=rng.randint(0, 24))) for _ in range(300)]
    return list(dict.fromkeys(values))


async def test_sql_twin_agrees_with_python(db: asyncpg.Connection) -> None:
    corpus = _twin_corpus()
    rows = await db.fetch(
        "select v, common.is_resident_id(v) as person, common.is_uscc(v) as organisation,"
        " common.is_subject_identifier(v) as subject, common.resident_id_birth_date(v) as born"
        " from unnest($1::text[]) as v",
        corpus,
    )
    assert [row["v"] for row in rows] == corpus
    disagreements = []
    for row in rows:
        value = row["v"]
        python = (
            is_resident_id(value),
            is_uscc(value),
            is_subject_identifier(value),
            validate_resident_id(value).birth_date if is_resident_id(value) else None,
        )
        sql = (row["person"], row["organisation"], row["subject"], row["born"])
        if python != sql:
            disagreements.append((value, python, sql))
    assert disagreements == []
    # The agreement is not vacuous: the corpus holds plenty of both verdicts for both kinds.
    persons = sum(row["person"] for row in rows)
    organisations = sum(row["organisation"] for row in rows)
    assert persons > 1000
    assert organisations > 1000
    assert len(rows) - persons > 2000
    assert len(rows) - organisations > 2000


async def test_sql_twin_is_null_for_null(db: asyncpg.Connection) -> None:
    row = await db.fetchrow(
        "select common.is_resident_id(null) as a, common.is_uscc(null) as b,"
        " common.is_subject_identifier(null) as c, common.resident_id_birth_date(null) as d"
    )
    assert row is not None
    assert tuple(row) == (None, None, None, None)
