"""The agenda rule, pure: one row per rule and boundary, on a fixed clock.

The meeting is on Wednesday 25 November 2026; the previous one was a week earlier. Each row gives
the facts of one case and the reasons the rule must give, in the order of ``agenda.RULES``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from sspf.cases.models import CaseStatus
from sspf.meetings import agenda
from sspf.meetings.agenda import (
    ACTION_OVERDUE,
    ADDED,
    CLOSED,
    CONSENT_EXPIRED,
    CONSENT_EXPIRING,
    FLAGGED,
    NEW_SIGNAL,
    REVIEW_DUE,
    RULES,
    AgendaFacts,
    order_key,
    reasons,
)

M = date(2026, 11, 25)
P = date(2026, 11, 18)
D = timedelta(days=1)
SIGNAL, TRIAGED, ACTIVE, CLOSED_ = CaseStatus.SIGNAL, CaseStatus.TRIAGED, CaseStatus.ACTIVE, CaseStatus.CLOSED


def facts(status: CaseStatus = ACTIVE, **kwargs) -> AgendaFacts:
    return AgendaFacts(case_id=uuid.uuid4(), code="ORM-2026-001", status=status, **kwargs)


ROWS = [
    # new_signal
    ("signal", facts(SIGNAL), [NEW_SIGNAL]),
    ("triaged, nothing due", facts(TRIAGED), []),
    ("active, nothing due", facts(ACTIVE), []),
    # flagged
    ("flagged active", facts(ACTIVE, flagged=True), [FLAGGED]),
    ("flagged triaged", facts(TRIAGED, flagged=True), [FLAGGED]),
    ("flagged signal", facts(SIGNAL, flagged=True), [NEW_SIGNAL, FLAGGED]),
    # review_due
    ("review on the meeting day", facts(next_review_on=M), [REVIEW_DUE]),
    ("review before the meeting", facts(next_review_on=M - 10 * D), [REVIEW_DUE]),
    ("review the day after", facts(next_review_on=M + D), []),
    # action_overdue
    ("deadline the day before", facts(earliest_open_deadline=M - D), [ACTION_OVERDUE]),
    ("deadline long ago", facts(earliest_open_deadline=M - 60 * D), [ACTION_OVERDUE]),
    ("deadline on the meeting day", facts(earliest_open_deadline=M), []),
    ("deadline after the meeting", facts(earliest_open_deadline=M + 3 * D), []),
    # consent_expiring
    ("consent ends on the meeting day", facts(had_consent=True, consent_until=M), [CONSENT_EXPIRING]),
    ("consent ends in 14 days", facts(had_consent=True, consent_until=M + 14 * D), [CONSENT_EXPIRING]),
    ("consent ends in 15 days", facts(had_consent=True, consent_until=M + 15 * D), []),
    ("triaged, consent ends in 3 days", facts(TRIAGED, had_consent=True, consent_until=M + 3 * D),
     [CONSENT_EXPIRING]),
    ("signal, consent ends in 3 days", facts(SIGNAL, had_consent=True, consent_until=M + 3 * D), [NEW_SIGNAL]),
    ("closed, consent ends in 3 days", facts(CLOSED_, had_consent=True, consent_until=M + 3 * D), []),
    # consent_expired
    ("consent ended the day before", facts(had_consent=True, consent_until=M - D), [CONSENT_EXPIRED]),
    ("only consent withdrawn", facts(had_consent=True, consent_until=None), [CONSENT_EXPIRED]),
    ("triaged, consent withdrawn", facts(TRIAGED, had_consent=True), [CONSENT_EXPIRED]),
    ("never had consent", facts(TRIAGED, had_consent=False), []),
    ("signal, consent withdrawn", facts(SIGNAL, had_consent=True), [NEW_SIGNAL]),
    ("closed, consent withdrawn", facts(CLOSED_, had_consent=True), []),
    # closed_since_last
    ("closed the day after the last meeting", facts(CLOSED_, closed_on=P + D), [CLOSED]),
    ("closed on the meeting day", facts(CLOSED_, closed_on=M), [CLOSED]),
    ("closed on the last meeting's day", facts(CLOSED_, closed_on=P), []),
    ("closed before the last meeting", facts(CLOSED_, closed_on=P - 5 * D), []),
    ("closed after the meeting day", facts(CLOSED_, closed_on=M + D), []),
    ("closed, no closing date", facts(CLOSED_), []),
    # a closed case is only ever the record of its closing
    ("closed with everything else due", facts(CLOSED_, flagged=True, next_review_on=M - 5 * D,
                                              earliest_open_deadline=M - 5 * D, had_consent=True,
                                              consent_until=M + 2 * D, closed_on=P + 2 * D), [CLOSED]),
    ("closed long ago with everything due", facts(CLOSED_, flagged=True, next_review_on=M - 5 * D,
                                                  earliest_open_deadline=M - 5 * D, had_consent=True,
                                                  closed_on=P - 30 * D), []),
    # combinations, in the order of RULES
    ("flagged, review, overdue, expiring", facts(flagged=True, next_review_on=M, earliest_open_deadline=M - D,
                                                 had_consent=True, consent_until=M + 2 * D),
     [FLAGGED, REVIEW_DUE, ACTION_OVERDUE, CONSENT_EXPIRING]),
    ("withdrawn: flagged and expired", facts(flagged=True, had_consent=True), [FLAGGED, CONSENT_EXPIRED]),
    ("overdue and expired", facts(earliest_open_deadline=M - 3 * D, had_consent=True, consent_until=M - 3 * D),
     [ACTION_OVERDUE, CONSENT_EXPIRED]),
    ("signal, flagged, review, overdue", facts(SIGNAL, flagged=True, next_review_on=M - D,
                                               earliest_open_deadline=M - D),
     [NEW_SIGNAL, FLAGGED, REVIEW_DUE, ACTION_OVERDUE]),
]


@pytest.mark.parametrize(("row", "given", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_reasons(row, given, expected):
    found = reasons(given, meeting_on=M, previous_on=P)
    assert found == expected
    assert found == sorted(found, key=RULES.index)  # always listed in the agenda's order


def test_every_rule_has_a_row():
    covered = {r for _row, _given, expected in ROWS for r in expected}
    assert covered == set(RULES)


def test_warning_window_is_a_parameter():
    given = facts(had_consent=True, consent_until=M + 20 * D)
    assert reasons(given, meeting_on=M, previous_on=P) == []
    assert reasons(given, meeting_on=M, previous_on=P, warning=timedelta(days=20)) == [CONSENT_EXPIRING]
    assert reasons(given, meeting_on=M, previous_on=P, warning=timedelta(days=19)) == []


def test_the_meeting_day_moves_the_boundaries():
    given = facts(next_review_on=M, earliest_open_deadline=M, had_consent=True, consent_until=M)
    assert reasons(given, meeting_on=M - D, previous_on=P) == [CONSENT_EXPIRING]
    assert reasons(given, meeting_on=M, previous_on=P) == [REVIEW_DUE, CONSENT_EXPIRING]
    assert reasons(given, meeting_on=M + D, previous_on=P) == [REVIEW_DUE, ACTION_OVERDUE, CONSENT_EXPIRED]


def test_previous_meeting_day_moves_closed_since_last():
    closed = facts(CLOSED_, closed_on=P)
    assert reasons(closed, meeting_on=M, previous_on=P) == []
    assert reasons(closed, meeting_on=M, previous_on=P - D) == [CLOSED]
    assert reasons(closed, meeting_on=M, previous_on=M - agenda.DEFAULT_LOOKBACK) == [CLOSED]


def test_order_key_ranks_by_the_most_urgent_reason_then_code():
    assert order_key([CONSENT_EXPIRED, FLAGGED], "ORM-2026-009") == (RULES.index(FLAGGED), "ORM-2026-009")
    assert order_key([NEW_SIGNAL], "X") == (0, "X")
    assert order_key([], "A") == (len(RULES), "A")
    assert order_key([ADDED], "A") == (len(RULES), "A")
    assert order_key([ADDED, CLOSED], "A") == (RULES.index(CLOSED), "A")


def test_order_key_sorts_an_agenda():
    items = [
        ("ORM-2026-005", [CLOSED]),
        ("ORM-2026-004", [ADDED]),
        ("ORM-2026-003", [FLAGGED]),
        ("ORM-2026-002", [CONSENT_EXPIRING, REVIEW_DUE]),
        ("ORM-2026-001", [CONSENT_EXPIRED, FLAGGED]),
        ("ORM-2026-006", [NEW_SIGNAL]),
        ("ORM-2026-007", [ACTION_OVERDUE]),
    ]
    ordered = [code for code, found in sorted(items, key=lambda i: order_key(i[1], i[0]))]
    assert ordered == ["ORM-2026-006", "ORM-2026-001", "ORM-2026-003", "ORM-2026-002", "ORM-2026-007",
                       "ORM-2026-005", "ORM-2026-004"]
