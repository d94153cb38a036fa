"""The minutes (protokoll) as PDF: date, attendance, and per case its code, decisions and agreed actions.

Built from the same ``MeetingView`` as the print page, so both show exactly what the reader may
see; a case appears by its code only, never by name.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate, Spacer

from sspf.meetings.labels import REASON_LABELS
from sspf.meetings.models import EntryKind
from sspf.meetings.queries import MeetingView, decisions_in_order


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_pdf(view: MeetingView) -> bytes:
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Italic"]
    meeting = view.meeting
    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=_("Protokoll SSPF %(district)s %(day)s",
                                                          district=meeting.district.name,
                                                          day=meeting.held_on.isoformat()),
                            author="sspf")
    story = [
        _p(_("Protokoll, SSPF-möte %(district)s", district=meeting.district.name), styles["Title"]),
        _p(_("Datum: %(day)s kl. %(time)s, %(place)s", day=format_date(meeting.held_on, "long"),
             time=meeting.starts_at.strftime("%H:%M"), place=meeting.place), body),
        _p(_("Stängt och låst") if meeting.locked else _("Utkast: mötet är inte stängt"), small),
        Spacer(1, 4 * mm),
        _p(_("Närvaro"), styles["Heading2"]),
    ]
    present = [a.name for a in view.agencies if view.attendance.get(a.id)]
    absent = [a.name for a in view.agencies if not view.attendance.get(a.id)]
    story.append(_p(_("Närvarande: %(names)s", names=", ".join(present) or "–"), body))
    story.append(_p(_("Frånvarande: %(names)s", names=", ".join(absent) or "–"), body))
    story.append(_p(_("Ärenden"), styles["Heading2"]))
    for number, item in enumerate(view.items, start=1):
        story.append(_p(f"{number}. {item.case.code}", styles["Heading3"]))
        reasons = ", ".join(str(REASON_LABELS.get(r, r)) for r in item.item.reasons)
        if reasons:
            story.append(_p(reasons, small))
        took_part = [who for who, yes in ((_("ungdomen"), item.item.youth_took_part),
                                          (_("vårdnadshavare"), item.item.guardians_took_part)) if yes]
        if took_part:
            story.append(_p(_("Nätverksmöte, deltog: %(who)s", who=", ".join(took_part)), body))
        entries = decisions_in_order(item)
        story.append(_p(_("Beslut"), styles["Heading4"]))
        if entries:
            story.append(ListFlowable([_p(_entry_text(e), body) for e in entries], bulletType="bullet"))
        else:
            story.append(_p(_("Inga beslut."), body))
        if item.agreed:
            story.append(_p(_("Åtgärder"), styles["Heading4"]))
            story.append(ListFlowable([_p(_("%(text)s. Ansvarig: %(owner)s. Klart senast %(day)s.", text=a.text,
                                            owner=a.owner_agency.name, day=a.deadline.isoformat()), body)
                                       for a in item.agreed], bulletType="bullet"))
    if not view.items:
        story.append(_p(_("Inga ärenden."), body))
    doc.build(story)
    return out.getvalue()


def _entry_text(entry) -> str:
    if entry.kind == EntryKind.CORRECTION:
        return _("Rättelse %(day)s: %(text)s", day=entry.created_at.date().isoformat(), text=entry.text)
    return entry.text
