"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

A social worker types a youth's number into a form. The number is what links a case across the
SSPF parties (it is stored encrypted and found again through a blind index), so it must be read
strictly and stored in exactly one form: a typo must be refused at the form, not become a second
identity for the same young person or, worse, somebody else's.

The rules followed here are Skatteverket's:

* the full number is ``YYYYMMDDNNNC``: birth date, a three-digit serial and a check digit;
* the commonly written short form ``YYMMDD-NNNC`` leaves the century out, and its separator
  changes from ``-`` to ``+`` the year the holder turns 100, so that the short form stays
  unambiguous;
* a samordningsnummer (for people not, or not yet, registered in Sweden) is written the same way
  with 60 added to the day of birth;
* the check digit is the Luhn (mod 10) digit of the ten-digit form ``YYMMDDNNN``; the century
  digits are not covered by it;
* the second-to-last digit is even for women and odd for men.

Pure Python and stdlib only, so that forms, imports, the CLI and tests can all use it without an
application context. The messages are Swedish and shown to the user as they are; callers that
want them translated can look them up by :attr:`InvalidPersonalNumber.code` in :data:`MESSAGES`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = [
    "MESSAGES",
    "ErrorCode",
    "InvalidPersonalNumber",
    "PersonalNumber",
    "age_on",
    "normalize",
    "parse",
]

ErrorCode = Literal["format", "date", "checksum", "future"]

#: The user-facing message for each error code.
MESSAGES: Final[dict[ErrorCode, str]] = {
    "format": "Ange personnummer som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN.",
    "date": "Datumet i personnumret finns inte.",
    "checksum": "Kontrollsiffran stämmer inte. Kontrollera numret.",
    "future": "Födelsedatumet ligger i framtiden.",
}

#: Added to the day of birth in a samordningsnummer.
COORDINATION_DAY_OFFSET: Final = 60

#: Age from which the short form is written with ``+`` instead of ``-``.
CENTENARIAN_AGE: Final = 100

# ASCII digits only: ``\d`` (and ``str.isdigit``) would also accept e.g. Arabic-Indic digits,
# which ``int`` reads happily but which must never end up in the stored canonical form.
_CANONICAL = re.compile(r"[0-9]{12}")
_LONG = re.compile(r"(?P<century>[0-9]{2})(?P<short>[0-9]{6})-?(?P<serial>[0-9]{4})")
_SHORT = re.compile(r"(?P<short>[0-9]{6})(?P<sep>[-+]?)(?P<serial>[0-9]{4})")
_ASCII_DIGITS: Final = frozenset("0123456789")


class InvalidPersonalNumber(ValueError):
    """The text is not a valid personnummer or samordningsnummer.

    ``str(exc)`` is a Swedish message meant for the person who typed the number;
    :attr:`code` says which rule failed, for callers that react differently (or translate).

    :param code: one of ``"format"``, ``"date"``, ``"checksum"``, ``"future"``.
    """

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(MESSAGES[code])
        self.code: ErrorCode = code

    def __reduce__(self) -> tuple[type[InvalidPersonalNumber], tuple[ErrorCode]]:
        # The default would call the class with the message instead of the code.
        return (type(self), (self.code,))


@dataclass(frozen=True, slots=True, repr=False)
class PersonalNumber:
    """A checked personnummer or samordningsnummer, held in its 12-digit canonical form.

    Constructing one directly checks the format, the date and the check digit (but not that the
    date has passed: that needs a "today", which :func:`parse` takes). Everything else is
    derived from the digits, so two instances are equal exactly when they are the same number.

    The ``repr`` masks the serial and check digit: an instance that ends up in a log line or a
    traceback should not disclose a full identity number.

    :param century_digits: ``YYYYMMDDNNNC``, twelve ASCII digits, no separator.
    :raises InvalidPersonalNumber: if the digits are not a valid number.
    """

    century_digits: str

    def __post_init__(self) -> None:
        if not isinstance(self.century_digits, str) or not _CANONICAL.fullmatch(self.century_digits):
            raise InvalidPersonalNumber("format")
        _birth_date(self.century_digits)  # raises "date"
        if _luhn_digit(self.century_digits[2:11]) != int(self.century_digits[11]):
            raise InvalidPersonalNumber("checksum")

    def __repr__(self) -> str:
        return f"<PersonalNumber {self.century_digits[:8]}-****>"

    @property
    def canonical(self) -> str:
        """``YYYYMMDDNNNC``: the one form that is stored and fed to the blind index."""
        return self.century_digits

    @property
    def display(self) -> str:
        """``YYYYMMDD-NNNC``: Skatteverket's recommended written form, unambiguous at any age."""
        return f"{self.century_digits[:8]}-{self.century_digits[8:]}"

    @property
    def birth_date(self) -> date:
        """The date of birth (for a samordningsnummer, the day with the 60 taken off)."""
        return _birth_date(self.century_digits)

    @property
    def birth_year(self) -> int:
        """The four-digit year of birth."""
        return int(self.century_digits[:4])

    @property
    def is_coordination_number(self) -> bool:
        """True for a samordningsnummer (day of birth written plus 60)."""
        return int(self.century_digits[6:8]) > COORDINATION_DAY_OFFSET

    @property
    def sex(self) -> Literal["female", "male"]:
        """Legal sex as encoded at assignment: even second-to-last digit female, odd male.

        It is the sex registered when the number was assigned; it may not match the person's
        gender, and must not be shown as if it described them.
        """
        return "female" if int(self.century_digits[10]) % 2 == 0 else "male"


def parse(text: str, *, today: date) -> PersonalNumber:
    """Read a personnummer or samordningsnummer typed by a user.

    Accepted, after stripping surrounding whitespace: ``YYYYMMDDNNNC``, ``YYYYMMDD-NNNC``,
    ``YYMMDDNNNC``, ``YYMMDD-NNNC`` and ``YYMMDD+NNNC``. Anything else (letters, spaces or other
    separators inside, wrong lengths, a ``+`` in the 12-digit form) is refused rather than
    guessed at, because a guess that happens to pass the check digit is another person.

    For the 10-digit forms the century is the most recent one that puts the birth date on or
    before ``today`` (``-`` or no separator) or that makes the person at least 100 years old on
    ``today`` (``+``). That is how Skatteverket's separator rule is meant to be read, and it
    makes the short form's meaning depend on the day it is read: store :attr:`~PersonalNumber.canonical`.

    :param text: what the user typed.
    :param today: the date the number is read on; passed in so that results are reproducible.
    :raises InvalidPersonalNumber: with code ``"format"``, ``"date"`` (no such day, including
        29 February in a common year), ``"checksum"`` or ``"future"`` (born after ``today``),
        checked in that order.
    """
    stripped = text.strip()
    if match := _LONG.fullmatch(stripped):
        digits = match["century"] + match["short"] + match["serial"]
    elif match := _SHORT.fullmatch(stripped):
        short = match["short"]
        month, day = int(short[2:4]), _unshift_day(int(short[4:6]))
        min_age = CENTENARIAN_AGE if match["sep"] == "+" else 0
        year = _infer_year(int(short[:2]), month, day, min_age=min_age, today=today)
        if year < 1:  # only with an absurd ``today``; the date could not exist anyway
            raise InvalidPersonalNumber("date")
        digits = f"{year:04d}{short[2:]}{match['serial']}"
    else:
        raise InvalidPersonalNumber("format")
    number = PersonalNumber(digits)
    if number.birth_date > today:
        raise InvalidPersonalNumber("future")
    return number


def normalize(text: str) -> str:
    """Best-effort canonical form of ``text``, for blind-index lookups of already-validated input.

    Parses with ``today=date.today()`` and returns :attr:`PersonalNumber.canonical`. Input that
    does not parse is not an error here: its ASCII digits are returned as they are, so a lookup
    of garbage simply finds nothing (no stored canonical value is invalid, and a 10-digit or
    shorter string never equals a 12-digit one). The one way such a fallback can match is text
    whose digits alone are a valid 12-digit number (say ``"19811218 9876"``), which finds the
    person those digits name, just as typing them without the stray space would.

    Validate input with :func:`parse` (which reports what is wrong) before storing it; this
    function is for looking things up.
    """
    try:
        return parse(text, today=date.today()).canonical
    except InvalidPersonalNumber:
        return "".join(ch for ch in text if ch in _ASCII_DIGITS)


def age_on(pn: PersonalNumber, day: date) -> int:
    """Completed years of age on ``day``.

    Someone born on 29 February has their birthday on 28 February in common years, following
    lag (1930:173) om beräkning av lagstadgad tid, 1 §: when a period counted in years ends in a
    month without the corresponding day, it ends on that month's last day. This matters at the
    ages where the law changes (15, 18).

    :raises ValueError: if ``day`` is before the date of birth (there is no age to give).
    """
    born = pn.birth_date
    if day < born:
        raise ValueError("day is before the date of birth")
    return day.year - born.year - (0 if _birthday_reached(born.month, born.day, day) else 1)


def make(born: date, serial: int) -> PersonalNumber:
    """A valid number for ``born`` and a three-digit ``serial`` (demo data, tests, fixtures)."""
    nine = f"{born:%y%m%d}{serial:03d}"
    return PersonalNumber(f"{born:%Y%m%d}{serial:03d}{_luhn_digit(nine)}")


def _luhn_digit(nine: str) -> int:
    """The Luhn check digit of the nine digits ``YYMMDDNNN`` (weights 2, 1, 2, ... from the left)."""
    total = 0
    for index, char in enumerate(nine):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _unshift_day(day: int) -> int:
    """The real day of birth from the written one (a samordningsnummer's day is plus 60)."""
    return day - COORDINATION_DAY_OFFSET if day > COORDINATION_DAY_OFFSET else day


def _birth_date(digits: str) -> date:
    try:
        return date(int(digits[:4]), int(digits[4:6]), _unshift_day(int(digits[6:8])))
    except ValueError:
        raise InvalidPersonalNumber("date") from None


def _birthday_reached(month: int, day: int, today: date) -> bool:
    """Whether the birthday (``month``, ``day``) has come in ``today``'s year (29 Feb → 28 Feb in common years)."""
    if (month, day) == (2, 29) and not calendar.isleap(today.year):
        day = 28
    return (month, day) <= (today.month, today.day)


def _infer_year(yy: int, month: int, day: int, *, min_age: int, today: date) -> int:
    """The most recent year ending in ``yy`` in which someone born on ``month``/``day`` is ``min_age`` by ``today``.

    Month and day are only compared, not validated: a day that does not exist fails later, in
    the century this picks, instead of silently moving the number to another century.
    """
    latest = today.year - min_age
    year = latest - (latest - yy) % 100
    if year == latest and not _birthday_reached(month, day, today):
        year -= 100
    return year
