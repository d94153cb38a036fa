"""The command an auditor runs: output, exit status, bad input, and that it changes nothing.

Most cases call ``audit.cli.main(argv)`` in-process (fast); a few run ``python -m audit`` for
real, to prove the entry point works without the test harness around it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from audit.cli import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, main
from sspf.audit import chain

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "audit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def test_subprocess_ok_and_tampered(kit):
    done = run_cli(*kit.cli_args())
    assert (done.returncode, done.stdout, done.stderr) == (0, "OK: 200 events verified (seq 1..200), "
                                                               "3 checkpoints checked\n", "")
    lines = list(kit.lines)
    del lines[76]
    done = run_cli(*kit.cli_args(kit.write_export(lines)))
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL: seq 77: deleted: event seq 77 missing")


def test_subprocess_bad_input_and_help(kit, tmp_path):
    args = kit.cli_args()
    args[args.index("--key-file") + 1] = str(tmp_path / "missing.json")
    done = run_cli(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot read the key file") and done.stdout == ""
    done = run_cli("--help")
    assert done.returncode == 0 and "verify" in done.stdout and "exit status" in done.stdout


def test_main_help_and_usage_errors(capsys):
    assert main(["--help"]) == EXIT_OK
    assert "python -m audit" in capsys.readouterr().out
    assert main(["verify", "--help"]) == EXIT_OK
    assert "--public-key PUB" in capsys.readouterr().out
    assert main([]) == EXIT_BAD_INPUT
    assert main(["verify", "export.jsonl"]) == EXIT_BAD_INPUT
    assert "required" in capsys.readouterr().err


def test_main_prints_first_finding_then_others(kit, capsys):
    lines = list(kit.lines)
    lines[9], lines[10] = lines[10], lines[9]
    files = kit.checkpoint_files()
    files[chain.checkpoint_filename(120)] = b"{"
    assert main(kit.cli_args(kit.write_export(lines), kit.write_checkpoints(files))) == EXIT_FINDINGS
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "FAIL: seq 10: reordered: events seq 10 and 11 are swapped"
    assert out[1] == ("also: seq 120: checkpoint-invalid: checkpoint checkpoint-000000000120.json: "
                      "not valid JSON (corrupt or truncated file)")


def _replace(args: list[str], option: str, value: Path) -> list[str]:
    args = list(args)
    args[args.index(option) + 1] = str(value)
    return args


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_KEY_FILES = {
    "not JSON": (b"hmac", "is not JSON"),
    "wrong shape": (b'{"key": "x"}', 'must hold exactly {"key_id": ..., "hmac_key": ...}'),
    "short key": (b'{"key_id": "k", "hmac_key": "AAAA"}', "must be base64 of 32 bytes"),
    "empty key_id": (b'{"key_id": "", "hmac_key": "AAAA"}', "key_id must be a non-empty string"),
}


@pytest.mark.parametrize("case", BAD_KEY_FILES)
def test_bad_key_file(kit, tmp_path, capsys, case):
    data, message = BAD_KEY_FILES[case]
    assert main(_replace(kit.cli_args(), "--key-file", _write(tmp_path, "k.json", data))) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_key_file_of_another_chain(kit, tmp_path, capsys):
    files = chain.generate_audit_keys(tmp_path)
    assert main(_replace(kit.cli_args(), "--key-file", files.hmac_key)) == EXIT_BAD_INPUT
    assert "wrong key file" in capsys.readouterr().err


def test_key_file_with_the_right_id_but_wrong_key(kit, tmp_path, capsys):
    data = json.dumps({"key_id": kit.key.key_id, "hmac_key": base64.b64encode(b"k" * 32).decode()}).encode()
    assert main(_replace(kit.cli_args(), "--key-file", _write(tmp_path, "k.json", data))) == EXIT_BAD_INPUT
    assert "does not hold the key the export was sealed with" in capsys.readouterr().err


def test_bad_public_key(kit, tmp_path, capsys):
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    private_pem = (kit.base / chain.SIGNING_KEY_FILE).read_bytes()
    for data, message in ((b"", "not a PEM public key"), (private_pem, "not a PEM public key"),
                          (ec_pem, "not an Ed25519 key")):
        assert main(_replace(kit.cli_args(), "--public-key", _write(tmp_path, "p.pem", data))) == EXIT_BAD_INPUT
        assert message in capsys.readouterr().err
    assert main(_replace(kit.cli_args(), "--public-key", tmp_path / "none.pem")) == EXIT_BAD_INPUT


def test_public_key_of_another_signer_rejects_every_checkpoint(kit, tmp_path, capsys):
    other = chain.generate_audit_keys(tmp_path)
    assert main(_replace(kit.cli_args(), "--public-key", other.public_key)) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert out.startswith("FAIL: seq 50: checkpoint-invalid:") and out.count("checkpoint-invalid") == 3


def test_unreadable_checkpoint_directory(kit, tmp_path, capsys):
    assert main(_replace(kit.cli_args(), "--checkpoints", tmp_path / "nowhere")) == EXIT_BAD_INPUT
    assert "cannot read the checkpoint directory" in capsys.readouterr().err
    assert main(_replace(kit.cli_args(), "--checkpoints", kit.key_file)) == EXIT_BAD_INPUT


def _header(kit, **changes: object) -> bytes:
    return json.dumps({**json.loads(kit.header()), **changes}).encode() + b"\n"


def bad_exports(kit) -> dict[str, tuple[bytes, str]]:
    good = b"".join(kit.lines)
    header = kit.header()
    line5 = kit.lines[4]
    return {
        "empty file": (b"", "the export is empty"),
        "header not JSON": (b"sspf\n" + good, "line 1: the header is not JSON"),
        "wrong type": (_header(kit, type="other") + good, "not an sspf audit export"),
        "version 2": (_header(kit, version=2) + good, "export version 2 is not supported"),
        "extra header key": (_header(kit, extra=1) + good, "unexpected ['extra']"),
        "first_seq 0": (_header(kit, first_seq=0) + good, "first_seq must be a positive integer"),
        "prev_mac upper case": (_header(kit, prev_mac="A" * 64) + good, "prev_mac must be 64 lower-case hex"),
        "seq 1 with prev_mac": (_header(kit, prev_mac="1" * 64) + good, "must have prev_mac of 64 zeros"),
        "line not JSON": (header + b"".join(kit.lines[:4]) + b"garbage\n" + good, "line 6: malformed export line"),
        "blank line": (header + b"".join(kit.lines[:4]) + b"\n" + good, "line 6: malformed export line"),
        "event not object": (header + b'{"event":[],"mac":"' + b"0" * 64 + b'"}\n', "event is not a JSON object"),
        "mac upper case": (header + b"".join(kit.lines[:4]) + line5[:-67] + line5[-67:-3].upper() + b'"}\n',
                           "line 6: malformed export line: mac is not 64 lower-case hex"),
        "mac missing": (header + b'{"event":{"seq":1}}\n', 'expected {"event": {...}, "mac": "..."}'),
        "NaN": (header + b'{"event":{"seq":NaN},"mac":"' + b"0" * 64 + b'"}\n', "line 2: malformed export line"),
    }


def test_bad_exports(kit, tmp_path, capsys):
    for label, (data, message) in bad_exports(kit).items():
        export = _write(tmp_path, "export.jsonl", data)
        assert main(kit.cli_args(export)) == EXIT_BAD_INPUT, label
        err = capsys.readouterr().err
        assert message in err, (label, err)
    assert main(kit.cli_args(tmp_path / "missing.jsonl")) == EXIT_BAD_INPUT
    assert "cannot read the export" in capsys.readouterr().err


def _digest_tree(*roots: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for root in roots:
        for path in sorted(p for p in (root.rglob("*") if root.is_dir() else [root]) if p.is_file()):
            out[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return out


def test_verifier_modifies_nothing(kit, capsys):
    lines = list(kit.lines)
    lines[3] = lines[3].replace(b'"allowed"', b'"denied"')
    export = kit.write_export(lines)
    cp_dir = kit.write_checkpoints(kit.checkpoint_files())
    watched = (export, cp_dir, kit.key_file, kit.public_key_file)
    before = _digest_tree(*watched)
    assert main(kit.cli_args(export, cp_dir)) == EXIT_FINDINGS
    assert main(kit.cli_args(kit.write_export(), cp_dir)) == EXIT_OK
    capsys.readouterr()
    assert _digest_tree(*watched) == before
    assert sorted(p.name for p in cp_dir.iterdir()) == sorted(kit.checkpoint_files())
