"""The municipality's calendar: whose "today" decides consent validity, deadlines and dates in forms.

Timestamps are stored and compared in UTC. Dates are Swedish: between 23:00 and midnight UTC it is
already tomorrow in Stockholm, and a consent that ends "today" must end on the Swedish date. So the
process runs on Swedish local time, and ``date.today()`` anywhere means the Swedish date, the same
date that ``today_of(now)`` gives for a timestamp.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = "Europe/Stockholm"
LOCAL_ZONE = ZoneInfo(LOCAL_TIMEZONE)


def use_local_calendar() -> None:
    """Make the process's local time Swedish (idempotent). Called by ``create_app`` and the test harness."""
    if os.environ.get("TZ") != LOCAL_TIMEZONE:
        os.environ["TZ"] = LOCAL_TIMEZONE
        time.tzset()


def today_of(now: datetime) -> date:
    """The Swedish date of a timestamp."""
    return now.astimezone(LOCAL_ZONE).date()
