"""How the agenda's reasons read, for the page, the print view and the PDF alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from sspf.meetings import agenda

REASON_LABELS = {
    agenda.NEW_SIGNAL: _l("Ny aktualisering att bedöma"),
    agenda.FLAGGED: _l("Anmäld för diskussion"),
    agenda.REVIEW_DUE: _l("Dags för uppföljning"),
    agenda.ACTION_OVERDUE: _l("Försenad åtgärd"),
    agenda.CONSENT_EXPIRING: _l("Samtycket löper ut snart"),
    agenda.CONSENT_EXPIRED: _l("Samtycket har upphört"),
    agenda.CLOSED: _l("Avslutat sedan förra mötet"),
    agenda.ADDED: _l("Tillagt av samordnaren"),
}
