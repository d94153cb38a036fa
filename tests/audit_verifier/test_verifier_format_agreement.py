"""The verifier's copy of the format agrees with ``sspf.audit.chain``, and the verifier stays independent.

The duplication is deliberate (an auditor runs ``audit/`` without ``sspf``); these tests are
what keeps the two copies from drifting apart.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import audit.format as vf
from audit.lines import parse_event_line
from sspf.audit import chain

ROOT = Path(__file__).resolve().parents[2]
AUDIT_PKG = ROOT / "audit"


def edge_events(make_event) -> list[dict[str, object]]:
    """Events whose encoding is easy to get wrong: escapes, non-ASCII, separators, empty values."""
    return [
        make_event(1),
        make_event(2, purpose="line\nbreak\r\ttab \"quote\" \\ back\u0000nul", subject_ref="Y-ÅÄÖ-åäö-é"),
        make_event(3, detail={"emoji": "🙂", "ls": "\u2028\u2029", "big": 2**53 - 1, "neg": -7, "none": None,
                              "bool": True, "seq": 99, "a,\"seq\":3,": "x"}),
        make_event(4, actor_districts=["ö", "a", "Z", "a"], fields=["z", "é", "A"], actor_id=None, detail={}),
        make_event(2**53 - 1, client_addr="2001:db8::1", request_id="ä" * 64),
    ]


def test_canonical_bytes_agree(kit, make_event):
    for event in [*kit.events, *edge_events(make_event)]:
        assert vf.canonical_bytes(event) == chain.canonical_bytes(event)
        assert b"\n" not in chain.canonical_bytes(event)


def test_mac_agrees_with_hmac(make_event):
    key = bytes(range(32))
    prev = hashlib.sha256(b"prev").digest()
    mac = vf.ChainMac(key)
    for event in edge_events(make_event):
        canonical = chain.canonical_bytes(event)
        expected = hmac.new(key, prev + canonical, hashlib.sha256).digest()
        assert chain.compute_mac(key, prev, canonical) == expected == mac.mac(prev, canonical)
    assert vf.ChainMac(b"").mac(prev, b"") == hmac.new(b"", prev, hashlib.sha256).digest()


def test_event_line_slicing_and_parsing_agree(make_event):
    for event in edge_events(make_event):
        canonical, mac = chain.seal_event(b"k" * 32, chain.GENESIS_MAC, event)
        line = chain.event_line(canonical, mac)
        assert line.startswith(vf.LINE_PREFIX) and line.endswith(vf.LINE_END)
        assert line[len(vf.LINE_PREFIX):-vf.LINE_TAIL] == canonical
        assert line[-vf.LINE_TAIL:-vf.LINE_TAIL + len(vf.LINE_MAC)] == vf.LINE_MAC
        parsed = parse_event_line(line, 2)
        assert (parsed.canonical, parsed.mac, parsed.seq, parsed.event) == (canonical, mac, event["seq"], event)


def test_header_agrees(kit):
    header = chain.export_header(first_seq=51, prev_mac=kit.macs[49], exported_at="2025-05-01T10:00:00.000000Z",
                                 key_id=kit.key.key_id)
    parsed = vf.parse_header(chain.header_line(header))
    assert parsed == vf.Header(51, kit.macs[49], "2025-05-01T10:00:00.000000Z", kit.key.key_id)
    assert set(header) == vf.HEADER_KEYS == set(chain.HEADER_KEYS)
    assert chain.header_line(header).startswith(b'{"type":"sspf-audit-export","version":1,')


def test_checkpoint_format_agrees(kit):
    for seq, cp in kit.checkpoints.items():
        assert vf.checkpoint_payload(cp) == chain.checkpoint_payload(cp)
        match = vf.CHECKPOINT_NAME_RE.fullmatch(chain.checkpoint_filename(seq))
        assert match and int(match.group(1)) == seq
    assert set(chain.CHECKPOINT_KEYS) == vf.CHECKPOINT_KEYS


def test_constants_and_key_files_agree(kit):
    assert (vf.GENESIS_MAC, vf.EXPORT_TYPE, vf.EXPORT_VERSION) == (chain.GENESIS_MAC, chain.EXPORT_TYPE,
                                                                   chain.EXPORT_VERSION)
    for moment in (datetime(1, 1, 1, tzinfo=UTC), datetime.now(UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)):
        assert vf.TIMESTAMP_RE.fullmatch(chain.format_timestamp(moment))
    assert vf.load_audit_key(kit.key_file) == vf.AuditKey(kit.key.key_id, kit.key.hmac_key)
    assert vf.load_public_key(kit.public_key_file).public_bytes_raw() == kit.signing.public_key().public_bytes_raw()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names.add(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"__import__", "import_module"}:
            pytest.fail(f"{path.name}: dynamic import")
    return names


def test_verifier_imports_nothing_from_sspf():
    files = sorted(AUDIT_PKG.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "__main__.py", "verify.py", "format.py"}
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            assert top != "sspf", f"{path.name} imports {name}"
            assert top in sys.stdlib_module_names or top in {"audit", "cryptography", "__future__"}, (
                f"{path.name} imports {name}: the verifier may use only the standard library and cryptography")


def test_verifier_runs_without_loading_sspf():
    code = ("import sys, audit.cli, audit.verify; "
            "bad = sorted(m for m in sys.modules if m == 'sspf' or m.startswith(('sspf.', 'flask', 'sqlalchemy'))); "
            "print(bad)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
