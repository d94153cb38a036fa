"""Command line: ``python -m audit verify EXPORT --checkpoints DIR --key-file KEY --public-key PUB``.

Exit status: 0 the export verifies; 1 tampering or a forged checkpoint was found (the first bad
seq is printed); 2 the input cannot be verified (missing or wrong key, malformed export,
unreadable checkpoint directory); 3 an internal error of the verifier itself.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from audit.format import InputError
from audit.verify import verify_export

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

_DESCRIPTION = """\
Verify an sspf audit export: every event's HMAC chain link, gap-free sequence numbers, and the
signed checkpoints (which reveal a cut-off tail or a re-sealed chain). Nothing is modified.

exit status: 0 verified, 1 tampering found, 2 bad input, 3 internal error"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audit", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser("verify", help="verify an export file", description=_DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("export", metavar="EXPORT", help="the export file (JSON lines, from `sspf audit export`)")
    verify.add_argument("--checkpoints", metavar="DIR", required=True, help="directory of checkpoint-*.json files")
    verify.add_argument("--key-file", metavar="KEY", required=True, help="the audit HMAC key file (JSON)")
    verify.add_argument("--public-key", metavar="PUB", required=True, help="the checkpoint public key (PEM)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier and return the exit status (argparse errors and --help included)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): return it instead of exiting
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        report = verify_export(args.export, args.checkpoints, args.key_file, args.public_key)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug here must not read as "tampering found" (exit 1)
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    print(report.summary())
    for finding in report.findings[1:]:
        print(f"also: {finding}")
    for note in report.notes:
        print(f"note: {note}")
    return EXIT_OK if report.ok else EXIT_FINDINGS
