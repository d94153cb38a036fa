"""Dates are Swedish: the process's "today" and a timestamp's date agree, even late in the UTC evening."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sspf.calendar import today_of, use_local_calendar
from sspf.db import utcnow


def test_late_utc_evening_is_already_tomorrow_in_sweden():
    assert today_of(datetime(2026, 11, 22, 22, 59, tzinfo=UTC)) == date(2026, 11, 22)
    assert today_of(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == date(2026, 11, 23)  # CET, UTC+1
    assert today_of(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == date(2026, 7, 1)  # CEST, UTC+2


def test_the_process_today_is_the_swedish_date():
    use_local_calendar()
    before, today, after = today_of(utcnow()), date.today(), today_of(utcnow())
    assert today in {before, after}  # equal unless midnight passed between the calls
