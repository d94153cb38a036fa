"""Sealing: give committed events their place (``seq``) and MAC in the chain, and checkpoint it.

Events are inserted in the request's own transaction without any lock, so requests never queue
behind each other for the audit trail. After the commit the request wakes its process's sealer
thread and returns; the sealer takes the chain lock (the single head row: a row lock on
PostgreSQL, the write lock on SQLite), seals every committed but unsealed event in id order, and
commits, one transaction for many requests' events. Seq numbers are therefore gap-free whatever
the number of app processes, and an event stays unsealed only for the moment between its commit
and the next seal (a fraction of a second). Tests set ``SSPF_AUDIT_SEAL_SYNC`` to seal at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import bindparam, delete, insert, select, update

from sspf.audit import chain
from sspf.audit.models import AuditChainHead, AuditEvent, AuditPending, AuditSeal
from sspf.db import utcnow
from sspf.extensions import db

log = logging.getLogger("sspf.audit")
HEAD_ID = 1
BATCH = 1000


class Sealer:
    """One background thread per process that seals on request and every ``PERIOD`` seconds.

    Started lazily, so it is created in each worker after a pre-forking server forks.
    """

    PERIOD = 10.0
    GATHER = 0.25  # let the events of a quarter second of requests share one sealing transaction

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def notify(self) -> None:
        if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                    self.pid = os.getpid()
                    self.thread = threading.Thread(target=self._run, name="sspf-audit-sealer", daemon=True)
                    self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait(self.PERIOD)
            time.sleep(self.GATHER)
            self.wake.clear()
            with self.app.app_context():
                try:
                    seal_pending(wait=True)
                except Exception:
                    log.exception("sealing the audit chain failed; it is retried")
                finally:
                    db.session.remove()


@dataclass
class AuditState:
    key: chain.AuditKey
    signing_key: object
    checkpoint_dir: Path
    checkpoint_interval: float
    sealer: Sealer
    seal_sync: bool = False
    last_checkpoint: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def init_app(app: Flask) -> None:
    cfg = app.config
    state = AuditState(
        key=chain.load_audit_key(cfg["SSPF_AUDIT_KEY_FILE"]),
        signing_key=chain.load_signing_key(cfg["SSPF_AUDIT_SIGNING_KEY_FILE"]),
        checkpoint_dir=Path(cfg["SSPF_CHECKPOINT_DIR"]),
        checkpoint_interval=float(cfg["SSPF_CHECKPOINT_INTERVAL"]),
        sealer=Sealer(app),
        seal_sync=bool(cfg.get("SSPF_AUDIT_SEAL_SYNC")),
    )
    app.extensions["sspf_audit"] = state


def after_record() -> None:
    """Called once a request that recorded events has committed: seal now (tests) or wake the sealer."""
    state = _state()
    if state.seal_sync:
        seal_pending(wait=True)
    else:
        state.sealer.notify()


def _state() -> AuditState:
    return current_app.extensions["sspf_audit"]


def event_dict(event, seq: int) -> dict:
    """The chain's view of a database row (an ``AuditEvent`` or a row of its table): the only mapping."""
    return chain.build_event(
        seq=seq, event_id=event.event_id, at=event.at, action=event.action, outcome=event.outcome,
        actor_id=event.actor_id, actor_agency=event.actor_agency, actor_role=event.actor_role,
        actor_districts=event.actor_districts or (), target_type=event.target_type, target_id=event.target_id,
        subject_ref=event.subject_ref, purpose=event.purpose, fields=event.fields or (), flagged=event.flagged,
        request_id=event.request_id, client_addr=event.client_addr, detail=event.detail or {},
    )


_EVENTS, _SEALS = AuditEvent.__table__, AuditSeal.__table__
_PENDING, _HEAD = AuditPending.__table__, AuditChainHead.__table__
# Plain table statements, built once: sealing runs several times a second under load, and the ORM's unit of
# work and identity map cost several times more than these few rows' worth of work.
_ANY_PENDING = select(_PENDING.c.event_pk).limit(1)
_HEAD_ROW = select(_HEAD.c.seq, _HEAD.c.mac).where(_HEAD.c.id == HEAD_ID)
_TOUCH_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=_HEAD.c.seq)
_PENDING_IDS = select(_PENDING.c.event_pk).order_by(_PENDING.c.event_pk).limit(BATCH)
_EVENTS_BY_ID = select(_EVENTS).where(_EVENTS.c.id.in_(bindparam("ids", expanding=True))).order_by(_EVENTS.c.id)
_INSERT_SEALS = insert(_SEALS)
_DELETE_PENDING = delete(_PENDING).where(_PENDING.c.event_pk.in_(bindparam("ids", expanding=True)))
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=bindparam("new_seq"), mac=bindparam("new_mac"))


def lock_head(*, wait: bool = True) -> tuple[int, str] | None:
    """Take the chain lock for the rest of the transaction and return the head's (seq, mac).

    With ``wait=False`` return None at once if another sealer holds the lock (PostgreSQL): that
    sealer, or the next one, seals whatever is pending. SQLite's BEGIN IMMEDIATE already holds the
    database's write lock, so there the head is simply ours.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(_HEAD_ROW.with_for_update(skip_locked=not wait)).first()
    else:
        db.session.execute(_TOUCH_HEAD)
        row = db.session.execute(_HEAD_ROW).one()
    return None if row is None else (row.seq, row.mac)


def seal_pending(*, wait: bool = False) -> int:
    """Seal committed, unsealed events in id order; commit; return how many were sealed.

    Cheap when there is nothing to do (one indexed read, no write), and never queues behind
    another sealer unless ``wait`` is set (the CLI and exports wait, requests do not).
    """
    state = _state()
    total = 0
    while True:
        if db.session.scalar(_ANY_PENDING) is None:
            db.session.commit()
            break
        head = lock_head(wait=wait)
        if head is None:
            db.session.rollback()
            break
        # The queue's ids first, then those events by primary key: a join (or a subquery) let PostgreSQL,
        # whenever the churning queue's statistics were stale, scan every event ever written to find a few.
        ids = list(db.session.scalars(_PENDING_IDS))
        pending = db.session.execute(_EVENTS_BY_ID, {"ids": ids}).all()
        seq, prev = head[0], chain.mac_from_hex(head[1])
        seals, sealed_at = [], utcnow()
        for event in pending:
            seq += 1
            _canonical, prev = chain.seal_event(state.key.hmac_key, prev, event_dict(event, seq))
            seals.append({"seq": seq, "event_pk": event.id, "mac": prev.hex(), "sealed_at": sealed_at})
        if pending:
            db.session.execute(_INSERT_SEALS, seals)
            db.session.execute(_DELETE_PENDING, {"ids": [e.id for e in pending]})
            db.session.execute(_MOVE_HEAD, {"new_seq": seq, "new_mac": prev.hex()})
        db.session.commit()
        total += len(pending)
        if len(pending) < BATCH:
            break
    if state.checkpoint_interval > 0 and time.monotonic() - state.last_checkpoint >= state.checkpoint_interval:
        write_checkpoint()
    return total


def write_checkpoint() -> Path | None:
    """Sign the current head into the checkpoint directory (outside the database)."""
    state = _state()
    head = db.session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    if head is None or head.seq == 0:
        return None
    with state.lock:
        state.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = chain.make_checkpoint(head.seq, head.mac, utcnow(), state.key.key_id, state.signing_key)
        try:
            path = chain.write_checkpoint(state.checkpoint_dir, checkpoint)
        except chain.CheckpointConflictError:
            # Another process already signed this seq (with another timestamp): that one stands.
            path = state.checkpoint_dir / chain.checkpoint_filename(head.seq)
        state.last_checkpoint = time.monotonic()
    return path


def first_seq_since(since: datetime) -> int | None:
    return db.session.scalar(
        select(AuditSeal.seq).join(AuditEvent, AuditSeal.event_pk == AuditEvent.id)
        .where(AuditEvent.at >= since).order_by(AuditSeal.seq).limit(1)
    )


def commit_and_seal() -> None:
    """For work outside a request (CLI): commit, then seal what was recorded."""
    db.session.commit()
    seal_pending(wait=True)
