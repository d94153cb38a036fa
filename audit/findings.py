"""What the verifier can find wrong, as values the CLI prints and the tests compare."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.StrEnum):
    #: The event at this seq does not match its MAC (content or MAC changed, or forged).
    EDITED = "edited"
    #: One or more events are missing from the middle of the chain.
    DELETED = "deleted"
    #: A line that is not part of the chain sits where this seq was expected.
    INSERTED = "inserted"
    #: A copy of an event that appears elsewhere sits where this seq was expected.
    DUPLICATED = "duplicated"
    #: The events are all present and authentic but in the wrong order.
    REORDERED = "reordered"
    #: The export stops before the latest signed checkpoint.
    TRUNCATED = "truncated"
    #: An authentic event carries the wrong seq: the chain was sealed with a gap.
    SEQUENCE = "sequence"
    #: The chain's MAC differs from a valid signed checkpoint: the chain was re-sealed.
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"
    #: A checkpoint file is not valid JSON, not signed by the given key, or not for this chain.
    CHECKPOINT_INVALID = "checkpoint-invalid"


@dataclass(frozen=True)
class Finding:
    seq: int
    kind: Kind
    message: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.message}"
