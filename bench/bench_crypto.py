"""Benchmark of sspf.crypto: per-value cipher throughput and the cost of an encrypted page load.

Run: ``.venv/bin/python bench/bench_crypto.py``. Prints its figures; the target is that reading a
page of 50 records with 6 encrypted fields costs less than 2 ms more than the same page in plain
text (SQLite file database, ORM load, median of 200 repetitions).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Text, create_engine, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker  # noqa: E402

from sspf.crypto import EncryptedText, decrypt, encrypt, generate_keyring, install  # noqa: E402
from sspf.db import UuidPk  # noqa: E402

ROUNDS = 7
PAGE = 50
REPS = 200


class BenchBase(DeclarativeBase):
    pass


class EncryptedRecord(UuidPk, BenchBase):
    __tablename__ = "bench_encrypted"
    f1: Mapped[str] = mapped_column(EncryptedText())
    f2: Mapped[str] = mapped_column(EncryptedText())
    f3: Mapped[str] = mapped_column(EncryptedText())
    f4: Mapped[str] = mapped_column(EncryptedText())
    f5: Mapped[str] = mapped_column(EncryptedText())
    note: Mapped[str] = mapped_column(EncryptedText())


class PlainRecord(UuidPk, BenchBase):
    __tablename__ = "bench_plain"
    f1: Mapped[str] = mapped_column(Text)
    f2: Mapped[str] = mapped_column(Text)
    f3: Mapped[str] = mapped_column(Text)
    f4: Mapped[str] = mapped_column(Text)
    f5: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)


def _median_per_value(fn, values: list) -> float:
    """Median seconds per value over ROUNDS rounds of ``fn`` applied to every value."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for v in values:
            fn(v)
        times.append((time.perf_counter() - start) / len(values))
    return statistics.median(times)


def bench_cipher() -> None:
    keyring = generate_keyring()
    row = uuid.uuid4()
    print(f"cipher (AES-256-GCM, per value, median of {ROUNDS} rounds)")
    for label, size, n in (("short field (20 chars)", 20, 20_000), ("note (2 KB)", 2048, 5_000)):
        plain = [("å" + "x" * (size - 2)).encode() for _ in range(n)]
        blobs = [encrypt(keyring, "youths", "name", row, p) for p in plain]
        enc = _median_per_value(lambda p: encrypt(keyring, "youths", "name", row, p), plain)
        dec = _median_per_value(lambda b: decrypt(keyring, "youths", "name", row, b), blobs)
        for op, sec in (("encrypt", enc), ("decrypt", dec)):
            print(f"  {label:<24} {op}: {1 / sec:>10,.0f} values/s  {sec * 1e6:7.2f} µs/value")


def _page_times(factory: sessionmaker, model: type, offsets: list[int]) -> list[float]:
    times = []
    for off in offsets:
        start = time.perf_counter()
        with factory() as s:
            rows = s.execute(select(model).order_by(model.id).offset(off).limit(PAGE)).scalars().all()
            # touch every field, as a template would
            total = sum(len(r.f1) + len(r.f2) + len(r.f3) + len(r.f4) + len(r.f5) + len(r.note) for r in rows)
        times.append(time.perf_counter() - start)
        assert len(rows) == PAGE and total > 0
    return times


def bench_page() -> None:
    keyring = generate_keyring()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        BenchBase.metadata.create_all(engine)
        factory = sessionmaker(engine)
        install(factory, keyring)
        n_rows = 2000
        with factory() as s:
            for i in range(n_rows):
                fields = dict(f1=f"Förnamn Efternamn {i:03d}", f2="Storgatan 12, Malmö", f3=f"0701-23{i:04d}",
                              f4="Vårdnadshavare Namn", f5="Skola: Exempelskolan", note="Anteckning. " * 42)
                s.add(EncryptedRecord(**fields))
                s.add(PlainRecord(**fields))
            s.commit()
        offsets = [(i * 37) % (n_rows - PAGE) for i in range(REPS)]
        _page_times(factory, EncryptedRecord, offsets[:20])  # warm up caches and the statement cache
        _page_times(factory, PlainRecord, offsets[:20])
        enc, plain = [], []
        for _ in range(3):  # interleave so drift affects both alike
            plain += _page_times(factory, PlainRecord, offsets)
            enc += _page_times(factory, EncryptedRecord, offsets)
        engine.dispose()
    m_enc, m_plain = statistics.median(enc) * 1e3, statistics.median(plain) * 1e3
    print(f"page of {PAGE} records x 6 fields (5 short + 1 note of ~500 chars), SQLite file, ORM load, "
          f"median of {len(enc)}:")
    print(f"  plain text columns: {m_plain:6.2f} ms")
    print(f"  encrypted columns:  {m_enc:6.2f} ms")
    print(f"  overhead:           {m_enc - m_plain:6.2f} ms  (target < 2 ms)")


if __name__ == "__main__":
    bench_cipher()
    bench_page()
