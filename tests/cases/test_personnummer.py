"""Personnummer and samordningsnummer: accepted forms, century inference, leap days, each error, and properties.

Valid numbers beyond Skatteverket's published test numbers are built here with a Luhn
implementation of the test's own, so the module's check digit is not checked against itself.
"""

from __future__ import annotations

import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sspf.cases.personnummer import (
    MESSAGES,
    InvalidPersonalNumber,
    PersonalNumber,
    age_on,
    normalize,
    parse,
)

TODAY = date(2026, 11, 22)


def luhn(nine: str) -> str:
    """Check digit by the textbook recipe: double every other digit from the left, add the digits of the products."""
    total = sum(int(ch) for i, d in enumerate(nine) for ch in str(int(d) * (2 - i % 2)))
    return str(-total % 10)


def number(yyyymmdd: str, serial: str) -> str:
    """The 12-digit number for a written date (day + 60 for a samordningsnummer) and a 3-digit serial."""
    return yyyymmdd + serial + luhn(yyyymmdd[2:] + serial)


def short(canonical: str, sep: str = "-") -> str:
    return f"{canonical[2:8]}{sep}{canonical[8:]}"


def test_own_luhn_agrees_with_published_numbers() -> None:
    assert luhn("121212121") == "2"
    assert luhn("811218987") == "6"
    assert luhn("701063239") == "1"


# --- known valid numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "19811218-9876", "198112189876", "811218-9876", "8112189876", "  811218-9876\n", "\t198112189876 ",
])
def test_skatteverket_test_number_in_every_form(text: str) -> None:
    pn = parse(text, today=TODAY)
    assert pn.canonical == "198112189876"
    assert pn.display == "19811218-9876"
    assert pn.birth_date == date(1981, 12, 18)
    assert pn.birth_year == 1981
    assert pn.sex == "male"
    assert not pn.is_coordination_number


@pytest.mark.parametrize("text", ["19121212-1212", "191212121212", "121212+1212"])
def test_skatteverket_1912_number(text: str) -> None:
    pn = parse(text, today=TODAY)
    assert pn.canonical == "191212121212"
    assert pn.birth_date == date(1912, 12, 12)
    assert pn.sex == "male"


def test_121212_with_minus_means_2012() -> None:
    assert parse("121212-1212", today=TODAY).canonical == "201212121212"


def test_female_number() -> None:
    canonical = number("20100515", "248")
    pn = parse(short(canonical), today=TODAY)
    assert pn.canonical == canonical
    assert pn.sex == "female"
    assert age_on(pn, TODAY) == 16


def test_samordningsnummer() -> None:
    pn = parse("701063-2391", today=TODAY)
    assert pn.canonical == "197010632391"
    assert pn.display == "19701063-2391"
    assert pn.birth_date == date(1970, 10, 3)
    assert pn.is_coordination_number
    assert pn.sex == "male"


@pytest.mark.parametrize(("written_day", "ok"), [("61", True), ("91", True), ("60", False), ("92", False)])
def test_samordningsnummer_day_range(written_day: str, ok: bool) -> None:
    text = number(f"200801{written_day}", "123")
    if ok:
        assert parse(text, today=TODAY).birth_date == date(2008, 1, int(written_day) - 60)
    else:
        with pytest.raises(InvalidPersonalNumber) as exc:
            parse(text, today=TODAY)
        assert exc.value.code == "date"


# --- century inference -----------------------------------------------------------------------


@pytest.mark.parametrize(("yymmdd", "sep", "year"), [
    ("261122", "-", 2026),  # born today
    ("261123", "-", 1926),  # tomorrow in 2026 is impossible, so a hundred years ago
    ("261122", "", 2026),
    ("261123", "", 1926),
    ("261122", "+", 1926),  # 100 today
    ("261123", "+", 1826),  # 1926-11-23 would be 99 today
    ("991231", "-", 1999),
    ("000101", "-", 2000),
    ("270101", "-", 1927),
    ("261182", "-", 2026),  # samordningsnummer: day 22 + 60
    ("261183", "-", 1926),
    ("261183", "+", 1826),
])
def test_century_inference(yymmdd: str, sep: str, year: int) -> None:
    serial = "384"
    check = luhn(yymmdd + serial)
    pn = parse(f"{yymmdd}{sep}{serial}{check}", today=TODAY)
    assert pn.birth_year == year
    assert pn.canonical == f"{year}{yymmdd[2:]}{serial}{check}"


# --- leap days -------------------------------------------------------------------------------


@pytest.mark.parametrize("yyyymmdd", ["20000229", "20240229", "19960229", "20240289"])
def test_leap_days_valid(yyyymmdd: str) -> None:
    assert parse(number(yyyymmdd, "123"), today=TODAY).birth_date.day == 29


@pytest.mark.parametrize("yyyymmdd", ["19000229", "20230229", "21000229", "19000289", "20240230"])
def test_leap_days_invalid(yyyymmdd: str) -> None:
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(number(yyyymmdd, "123"), today=TODAY)
    assert exc.value.code == "date"


def test_leap_day_short_forms_pick_the_century_and_then_check_the_date() -> None:
    canonical = number("20000229", "123")
    assert parse(short(canonical), today=TODAY).canonical == canonical
    # "+" means 1900, which had no 29 February: refused, not moved to yet another century.
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(short(canonical, "+"), today=TODAY)
    assert exc.value.code == "date"


def test_leap_day_born_turns_100_on_28_february_in_a_common_year() -> None:
    canonical = number("20000229", "123")
    assert parse(short(canonical, "+"), today=date(2100, 2, 28)).canonical == canonical
    with pytest.raises(InvalidPersonalNumber):
        parse(short(canonical, "+"), today=date(2100, 2, 27))  # would be 1900-02-29


def test_age_of_someone_born_on_a_leap_day() -> None:
    pn = parse(number("20080229", "123"), today=TODAY)
    assert age_on(pn, date(2026, 2, 27)) == 17
    assert age_on(pn, date(2026, 2, 28)) == 18
    assert age_on(pn, date(2028, 2, 28)) == 19
    assert age_on(pn, date(2028, 2, 29)) == 20


def test_age_on() -> None:
    pn = parse("19811218-9876", today=TODAY)
    assert age_on(pn, date(1981, 12, 18)) == 0
    assert age_on(pn, date(1999, 12, 17)) == 17
    assert age_on(pn, date(1999, 12, 18)) == 18
    assert age_on(pn, TODAY) == 44
    with pytest.raises(ValueError):
        age_on(pn, date(1981, 12, 17))


# --- errors ----------------------------------------------------------------------------------


def test_messages() -> None:
    assert MESSAGES == {
        "format": "Ange personnummer som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN.",
        "date": "Datumet i personnumret finns inte.",
        "checksum": "Kontrollsiffran stämmer inte. Kontrollera numret.",
        "future": "Födelsedatumet ligger i framtiden.",
    }


@pytest.mark.parametrize("text", [
    "", "   ", "abc", "811218-987X", "811218 9876", "81 12 18-9876", "811218–9876", "811218/9876", "811218--9876",
    "81121-89876", "19811218+9876", "1981121-89876", "811218-987", "81121898760", "1981121898760", "+8112189876",
    "811218-9876-", "٨١١٢١٨-٩٨٧٦", "８１１２１８－９８７６", "811218_9876", "811218.9876",
])
def test_format_errors(text: str) -> None:
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(text, today=TODAY)
    assert exc.value.code == "format"
    assert str(exc.value) == "Ange personnummer som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."


@pytest.mark.parametrize("yyyymmdd", ["19811318", "19810231", "19811200", "19810015", "00000101"])
def test_date_errors(yyyymmdd: str) -> None:
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(number(yyyymmdd, "987"), today=TODAY)
    assert exc.value.code == "date"
    assert str(exc.value) == "Datumet i personnumret finns inte."


@pytest.mark.parametrize("text", ["811218-9875", "19811218-9870", "701063-2390", "121212+1213"])
def test_checksum_errors(text: str) -> None:
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(text, today=TODAY)
    assert exc.value.code == "checksum"
    assert str(exc.value) == "Kontrollsiffran stämmer inte. Kontrollera numret."


@pytest.mark.parametrize("yyyymmdd", ["20261123", "20270101", "20261183", "21000101"])
def test_future_errors(yyyymmdd: str) -> None:
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(number(yyyymmdd, "123"), today=TODAY)
    assert exc.value.code == "future"
    assert str(exc.value) == "Födelsedatumet ligger i framtiden."


def test_born_today_is_not_future() -> None:
    assert parse(number("20261122", "123"), today=TODAY).birth_date == TODAY


def test_checksum_is_checked_before_future() -> None:
    with pytest.raises(InvalidPersonalNumber) as exc:
        valid = number("20261123", "123")
        parse(valid[:11] + str((int(valid[11]) + 1) % 10), today=TODAY)
    assert exc.value.code == "checksum"


def test_error_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError):
        parse("nope", today=TODAY)
    err = pickle.loads(pickle.dumps(InvalidPersonalNumber("checksum")))  # noqa: S301 - own object
    assert err.code == "checksum"
    assert str(err) == MESSAGES["checksum"]


def test_century_digits_are_not_covered_by_the_check_digit() -> None:
    # A documented limit of the number itself: only the 10-digit form is checked.
    assert parse("18811218-9876", today=TODAY).birth_year == 1881


# --- the value object ------------------------------------------------------------------------


def test_direct_construction_is_validated() -> None:
    assert PersonalNumber("198112189876") == parse("811218-9876", today=TODAY)
    for bad, code in [("8112189876", "format"), ("19811218-9876", "format"), ("198113189876", "date"),
                      ("198112189875", "checksum")]:
        with pytest.raises(InvalidPersonalNumber) as exc:
            PersonalNumber(bad)
        assert exc.value.code == code


def test_frozen_hashable_and_repr_masks_the_number() -> None:
    pn = parse("811218-9876", today=TODAY)
    assert {pn, parse("19811218-9876", today=TODAY)} == {pn}
    with pytest.raises(AttributeError):
        pn.century_digits = "191212121212"  # type: ignore[misc]
    assert "9876" not in repr(pn)
    assert "19811218" in repr(pn)


# --- normalize -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("811218-9876", "198112189876"),
    (" 19811218-9876 ", "198112189876"),
    ("701063-2391", "197010632391"),
    ("811218-9875", "8112189875"),  # bad check digit: digits only, matches nothing stored
    ("abc-12", "12"),
    ("", ""),
    ("٨١١٢١٨-٩٨٧٦", ""),
])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# --- properties ------------------------------------------------------------------------------


@st.composite
def valid_numbers(draw: st.DrawFn, *, max_value: date = TODAY) -> tuple[str, date]:
    """A canonical number (maybe a samordningsnummer) and its date of birth."""
    born = draw(st.dates(min_value=date(1830, 1, 1), max_value=max_value))
    day = born.day + (60 if draw(st.booleans()) else 0)
    serial = f"{draw(st.integers(0, 999)):03d}"
    return number(f"{born:%Y%m}{day:02d}", serial), born


def separator(born: date, today: date) -> str:
    return "+" if age_on(PersonalNumber(number(f"{born:%Y%m%d}", "000")), today) >= 100 else "-"


@given(valid_numbers(), st.integers(0, 199 * 365))
def test_valid_numbers_parse_and_round_trip(drawn: tuple[str, date], days_later: int) -> None:
    canonical, born = drawn
    today = born + timedelta(days=days_later)
    pn = parse(canonical, today=today)
    assert pn.canonical == canonical
    assert pn.birth_date == born
    assert pn.is_coordination_number == (int(canonical[6:8]) > 60)
    assert pn.sex == ("female" if int(canonical[10]) % 2 == 0 else "male")
    assert parse(pn.display, today=today) == pn
    assert parse(pn.canonical, today=today) == pn
    assert pn.display.replace("-", "") == canonical
    # The short form with the separator for the person's age on ``today`` names the same person.
    written = short(canonical, separator(born, today))
    assert parse(written, today=today) == pn
    assert parse(written.replace("-", ""), today=today) == pn
    assert 0 <= age_on(pn, today) <= 199


@given(valid_numbers(), st.integers(0, 9), st.integers(1, 9), st.sampled_from(["-", "", "long"]))
def test_any_single_digit_change_is_rejected(drawn: tuple[str, date], position: int, delta: int, form: str) -> None:
    canonical, born = drawn
    ten = canonical[2:]
    changed = ten[:position] + str((int(ten[position]) + delta) % 10) + ten[position + 1:]
    if form == "long":
        text = canonical[:2] + changed
    else:
        text = f"{changed[:6]}{separator(born, TODAY) if form == '-' else ''}{changed[6:]}"
    with pytest.raises(InvalidPersonalNumber) as exc:
        parse(text, today=TODAY)
    assert exc.value.code in {"checksum", "date", "format"}


@given(st.text(max_size=20))
def test_arbitrary_text_is_parsed_or_refused_never_crashes(text: str) -> None:
    try:
        pn = parse(text, today=TODAY)
    except InvalidPersonalNumber as exc:
        assert str(exc) == MESSAGES[exc.code]
    else:
        assert pn.birth_date <= TODAY
    digits = normalize(text)
    assert digits == "" or (digits.isascii() and digits.isdigit())


@given(st.from_regex(r"\A[0-9]{6}[-+]?[0-9]{4}\Z|\A[0-9]{8}-?[0-9]{4}\Z"))
def test_well_formed_digits_get_a_content_error_or_parse(text: str) -> None:
    try:
        pn = parse(text, today=TODAY)
    except InvalidPersonalNumber as exc:
        assert exc.code in {"date", "checksum", "future"}
    else:
        assert len(pn.canonical) == 12
