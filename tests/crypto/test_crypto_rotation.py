"""Key rotation: crash and restart, retirement, blind-index rebuild, undecryptable values."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from sspf.crypto import Keyring, KeySet, blind_index_match, count_under_key, install, is_unreadable, rotate, status
from sspf.crypto.aead import ciphertext_key_id

N_PEOPLE = 230
BATCH = 100


class Holder:
    """A mutable keyring, standing in for a provider that re-reads the keyring file."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def __call__(self) -> Keyring:
        return self.keyring


@pytest.fixture
def holder(keyring: Keyring) -> Holder:
    return Holder(keyring)


@pytest.fixture
def sf(engine, holder: Holder, m) -> sessionmaker:
    factory = sessionmaker(engine)
    install(factory, holder)
    with factory() as s:
        s.add_all(
            m.Person(name=f"person {i}", note=None if i % 3 else f"note {i}", personnummer=f"1990010{i % 10}-{i:04d}")
            for i in range(N_PEOPLE)
        )
        s.add_all(m.Note(body=f"body {i}") for i in range(30))
        s.commit()
    return factory


def _new_active(keyring: Keyring, kind: KeySet) -> tuple[Keyring, str]:
    keyring, new_id = keyring.with_new_key(kind)
    return keyring.with_active(kind, new_id), new_id


class Crash(Exception):
    pass


def test_rotation_survives_a_crash_and_old_key_can_be_retired(sf, holder: Holder, m) -> None:
    old_id = holder.keyring.active_data_key
    holder.keyring, new_id = _new_active(holder.keyring, KeySet.DATA)
    with sf() as s:
        total = sum(count_under_key(s, KeySet.DATA, old_id, models=m.models).values())
    assert total == N_PEOPLE * 2 + N_PEOPLE // 3 + 1 + 30
    batches = []

    def crash_after_second_batch(report) -> None:
        batches.append(report.reencrypted)
        if len(batches) == 2:
            raise Crash

    with sf() as s, pytest.raises(Crash):
        rotate(s, holder.keyring, models=m.models, batch_size=BATCH, on_batch=crash_after_second_batch)
    with sf() as s:
        # the batches before the crash are committed, the rest is still under the old key
        moved = sum(count_under_key(s, KeySet.DATA, new_id, models=m.models).values())
        assert moved == batches[-1] and 0 < moved < total
        assert sum(count_under_key(s, KeySet.DATA, old_id, models=m.models).values()) == total - moved
        # a mixed database reads fine while the rotation is unfinished
        assert not any(is_unreadable(p.name) for p in s.execute(select(m.Person)).scalars())
        # restart and finish
        report = rotate(s, holder.keyring, models=m.models, batch_size=BATCH)
        assert report.failed == [] and report.reencrypted > 0
        assert count_under_key(s, KeySet.DATA, old_id, models=m.models) == {}
        assert {r.key_id for r in status(s, models=m.models) if r.kind is KeySet.DATA} == {new_id}
        # running again is a no-op
        assert rotate(s, holder.keyring, models=m.models, batch_size=BATCH).reencrypted == 0
    holder.keyring = holder.keyring.without_key(KeySet.DATA, old_id)
    with sf() as s:
        people = s.execute(select(m.Person).order_by(m.Person.name)).scalars().all()
        assert len(people) == N_PEOPLE and not any(is_unreadable(p.name) or is_unreadable(p.note) for p in people)
        assert {p.name for p in people} == {f"person {i}" for i in range(N_PEOPLE)}
        assert sorted(n.body for n in s.execute(select(m.Note)).scalars())[0] == "body 0"


def test_blind_index_rotation_keeps_lookups_working(sf, holder: Holder, m) -> None:
    old_id = holder.keyring.active_blind_index_key
    holder.keyring, new_id = _new_active(holder.keyring, KeySet.BLIND_INDEX)
    with sf() as s:
        # during the rotation, lookups match both keys
        where = blind_index_match(m.Person.personnummer_bidx, "199001030003", session=s)
        assert s.execute(select(m.Person).where(where)).scalar_one().name == "person 3"
        report = rotate(s, holder.keyring, models=m.models, batch_size=BATCH)
        assert report.reindexed == N_PEOPLE and report.reencrypted == 0
        assert count_under_key(s, KeySet.BLIND_INDEX, old_id, models=m.models) == {}
    holder.keyring = holder.keyring.without_key(KeySet.BLIND_INDEX, old_id)
    with sf() as s:
        where = blind_index_match(m.Person.personnummer_bidx, "19900103-0003", session=s)
        assert s.execute(select(m.Person).where(where)).scalar_one().name == "person 3"
        p = s.execute(select(m.Person).where(where)).scalar_one()
        assert ciphertext_key_id(p.personnummer_bidx) == new_id


def test_rotation_backfills_missing_blind_indexes(sf, holder: Holder, m) -> None:
    with sf() as s:
        s.execute(text("UPDATE crypto_test_people SET personnummer_bidx = NULL"))
        s.commit()
        report = rotate(s, holder.keyring, models=m.models)
        assert report.reindexed == N_PEOPLE
        forced = rotate(s, holder.keyring, models=m.models, rebuild_blind_index=True)
        assert forced.reindexed == 0  # recomputed, identical, not rewritten
        where = blind_index_match(m.Person.personnummer_bidx, "199001050005", session=s)
        assert s.execute(select(m.Person.id).where(where)).scalar_one()


def test_undecryptable_value_is_reported_and_blocks_retirement(sf, holder: Holder, m) -> None:
    old_id = holder.keyring.active_data_key
    with sf() as s:
        victim = s.execute(select(m.Note).order_by(m.Note.id)).scalars().first()
        stolen = "(SELECT name FROM crypto_test_people LIMIT 1)"  # a ciphertext from another table
        victim_id = victim.id.hex if s.bind.dialect.name == "sqlite" else victim.id
        s.execute(text(f"UPDATE crypto_test_notes SET body = {stolen} WHERE id = :id"), {"id": victim_id})
        s.commit()
    holder.keyring, _ = _new_active(holder.keyring, KeySet.DATA)
    with sf() as s:
        report = rotate(s, holder.keyring, models=m.models, batch_size=BATCH)
        assert len(report.failed) == 1 and "crypto_test_notes.body" in report.failed[0]
        assert count_under_key(s, KeySet.DATA, old_id, models=m.models) == {"crypto_test_notes.body": 1}
