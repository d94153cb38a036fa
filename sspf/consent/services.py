"""Writes about consent and disclosures: record, withdraw, disclose. Flush, audit, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from sspf.access.rules import BASIC
from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.cases.models import Case, CaseStatus
from sspf.cases.personnummer import age_on, parse
from sspf.cases.services import activate_case
from sspf.catalogue import catalogue
from sspf.consent.models import Consent, ConsentScope, Disclosure
from sspf.db import utcnow
from sspf.extensions import db
from sspf.org.models import Agency

MAX_SCAN_BYTES = 5 * 1024 * 1024
SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}


class ConsentError(ValueError):
    """The consent as entered is not valid; ``str(exc)`` is for the user, ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def required_signatories(case: Case, on: date) -> tuple[bool, bool, bool]:
    """(guardian 1, guardian 2, youth) who must sign, by the youth's age and the catalogue's rules."""
    cat = catalogue()
    age = age_on(parse(case.youth.personnummer, today=on), on)
    if age >= cat.consent_rule("youth_decides_alone_from_age"):
        return False, False, True
    youth_signs = age >= cat.consent_rule("youth_signs_from_age")
    return True, bool(case.youth.guardian2_name), youth_signs


def record_consent(*, actor: User, case: Case, signed_on: date, valid_until: date, guardian1: bool, guardian2: bool,
                   youth: bool, method: str, scope: Mapping[int, set[str]], today: date,
                   scan: bytes | None = None, scan_type: str | None = None) -> Consent:
    cat = catalogue()
    if case.status == CaseStatus.CLOSED:
        raise ConsentError(_("Ärendet är avslutat."))
    if case.status == CaseStatus.SIGNAL:
        raise ConsentError(_("Ärendet måste bedömas innan samtycke registreras."))
    if signed_on > today:
        raise ConsentError(_("Datumet kan inte ligga i framtiden."), "signed_on")
    if valid_until < signed_on:
        raise ConsentError(_("Slutdatumet ligger före datumet för samtycket."), "valid_until")
    if valid_until > signed_on + timedelta(days=cat.consent_rule("max_validity_days")):
        raise ConsentError(_("Ett samtycke kan gälla högst %(n)d dagar.", n=cat.consent_rule("max_validity_days")),
                           "valid_until")
    if signed_on < parse(case.youth.personnummer, today=today).birth_date:
        raise ConsentError(_("Datumet ligger före den unges födelse."), "signed_on")
    if not (guardian1 or guardian2 or youth):
        raise ConsentError(_("Minst en person måste ha skrivit under."), "guardian1")
    need_g1, need_g2, need_youth = required_signatories(case, signed_on)
    missing = [label for needed, given, label in ((need_g1, guardian1, _("vårdnadshavare 1")),
                                                  (need_g2, guardian2, _("vårdnadshavare 2")),
                                                  (need_youth, youth, _("den unge"))) if needed and not given]
    if missing:
        raise ConsentError(_("Underskrift saknas från: %(who)s.", who=", ".join(missing)), "guardian1")
    if method not in cat.codes("consent_methods"):
        raise ConsentError(_("Okänt sätt att inhämta samtycke."), "method")
    categories = cat.codes("information_categories")
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(list(scope))))}
    if not any(scope.values()):
        raise ConsentError(_("Välj minst en organisation och en sorts uppgifter."), "scope")
    for agency_id, cats in scope.items():
        agency = agencies.get(agency_id)
        if agency is None or not agency.is_authority:
            raise ConsentError(_("Samtycke kan bara gälla myndigheter i SSPF."), "scope")
        if set(cats) - categories:
            raise ConsentError(_("Okänd sorts uppgifter."), "scope")
    if scan is not None and (len(scan) > MAX_SCAN_BYTES or scan_type not in SCAN_TYPES):
        raise ConsentError(_("Blanketten måste vara en PDF, JPEG eller PNG på högst 5 MB."), "scan")
    # One consent recorder per case at a time (PostgreSQL; SQLite's writers are serial anyway): otherwise two
    # consents recorded at once would not see each other, neither would be replaced, and both would share.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    consent = Consent(case_id=case.id, signed_on=signed_on, valid_until=valid_until, guardian1_signed=guardian1,
                      guardian2_signed=guardian2, youth_signed=youth, method=method, recorded_by_id=actor.id,
                      scanned_form=scan, scanned_form_type=scan_type if scan is not None else None)
    consent.scope = [ConsentScope(agency_id=agency_id, category=c) for agency_id, cats in sorted(scope.items())
                     for c in sorted(cats)]
    db.session.add(consent)
    db.session.flush()
    record(AuditAction.CONSENT_RECORDED, actor=actor, target_type="consent", target_id=consent.id,
           subject_ref=case.youth.ref, purpose="samtycke OSL 12 kap.",
           fields=["signatories", "scope", "valid_until"] + (["scanned_form"] if scan else []),
           detail={"case": case.code, "agencies": len(scope)})
    if consent.is_active(today):
        # Only a consent in force replaces: a paper consent registered after it ran out goes on record beside
        # the current one and must not end it.
        _replace_earlier(actor=actor, case=case, consent=consent)
        activate_case(actor=actor, case=case)
    return consent


def _replace_earlier(*, actor: User, case: Case, consent: Consent) -> None:
    """The latest recorded consent governs: every earlier one still in force (neither withdrawn nor replaced) is
    replaced by ``consent`` now, and shares nothing from the next request on. It stays on record, as it was."""
    earlier = list(db.session.scalars(select(Consent).where(
        Consent.case_id == case.id, Consent.id != consent.id, Consent.withdrawn_at.is_(None),
        Consent.replaced_at.is_(None))))
    if not earlier:
        return
    now = utcnow()
    for old in earlier:
        old.replaced_at, old.replaced_by_id = now, consent.id
    if {s.agency_id for old in earlier for s in old.scope} - {s.agency_id for s in consent.scope}:
        case.flagged_for_meeting = True  # an agency lost its access: its open actions need a new owner
    db.session.flush()
    for old in earlier:
        record(AuditAction.CONSENT_REPLACED, actor=actor, target_type="consent", target_id=old.id,
               subject_ref=case.youth.ref, fields=["replaced_at", "replaced_by_id"],
               detail={"case": case.code, "replaced_by": str(consent.id)})


def withdraw_consent(*, actor: User, case: Case, consent: Consent, by: str) -> None:
    """Effective at once: every access check reads the withdrawal on the next request."""
    if consent.case_id != case.id:
        raise ConsentError(_("Samtycket hör inte till ärendet."))
    if consent.withdrawn_at is not None:
        raise ConsentError(_("Samtycket är redan återkallat."))
    if consent.replaced_at is not None:  # it shares nothing already; a withdrawal would only blur the record
        raise ConsentError(_("Samtycket är redan ersatt av ett senare samtycke."))
    if by not in {"guardian1", "guardian2", "youth"}:
        raise ConsentError(_("Ange vem som återkallade samtycket."), "by")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by = by
    consent.withdrawal_recorded_by_id = actor.id
    case.flagged_for_meeting = True
    db.session.flush()
    record(AuditAction.CONSENT_WITHDRAWN, actor=actor, target_type="consent", target_id=consent.id,
           subject_ref=case.youth.ref, fields=["withdrawn_at", "withdrawn_by"], detail={"case": case.code})


def disclosable_categories(agency: Agency) -> set[str]:
    """What ``agency`` may disclose: the youth's basic details and its own kind of information."""
    return {BASIC, catalogue().category_of_agency_kind(agency.kind)}


def record_disclosure(*, actor: User, case: Case, legal_basis: str, to_agency: Agency, categories: set[str],
                      assessment: str, valid_until: date, today: date) -> Disclosure:
    """A disclosure on another legal basis: the basis must exist in the catalogue and fit the parties."""
    cat = catalogue()
    if case.status == CaseStatus.CLOSED:
        raise ConsentError(_("Ärendet är avslutat."))
    basis = cat.entry("legal_bases", legal_basis)
    if basis is None:
        raise ConsentError(_("Okänd rättslig grund."), "legal_basis")
    from_kind, to_kind = str(actor.agency.kind), str(to_agency.kind)
    if basis.get("from") and from_kind not in basis["from"] or basis.get("to") and to_kind not in basis["to"]:
        raise ConsentError(_("Den rättsliga grunden gäller inte mellan dessa parter."), "legal_basis")
    if "max_age" in basis:
        age = age_on(parse(case.youth.personnummer, today=today), today)
        if age > int(basis["max_age"]):
            raise ConsentError(_("Den rättsliga grunden gäller inte för den unges ålder."), "legal_basis")
    if not to_agency.is_authority or to_agency.id == actor.agency_id:
        raise ConsentError(_("Välj en annan myndighet som mottagare."), "to_agency")
    if not categories or categories - cat.codes("information_categories"):
        raise ConsentError(_("Välj vilka uppgifter som lämnas ut."), "categories")
    if categories - disclosable_categories(actor.agency):
        # Secrecy is each authority's own: an agency can hand over what it holds, never another agency's
        # information that it happens to see under the youth's consent.
        raise ConsentError(_("Er organisation kan bara lämna ut sina egna uppgifter."), "categories")
    if not today <= valid_until <= today + timedelta(days=90):
        raise ConsentError(_("Ange ett slutdatum inom 90 dagar."), "valid_until")
    disclosure = Disclosure(case_id=case.id, legal_basis=legal_basis, decided_by_id=actor.id,
                            from_agency_id=actor.agency_id, to_agency_id=to_agency.id, categories=sorted(categories),
                            assessment=assessment, valid_until=valid_until)
    db.session.add(disclosure)
    db.session.flush()
    record(AuditAction.DISCLOSURE_RECORDED, actor=actor, target_type="disclosure", target_id=disclosure.id,
           subject_ref=case.youth.ref, purpose=legal_basis, flagged=True, fields=["assessment", "categories"],
           detail={"case": case.code, "to": to_agency.name})
    return disclosure
