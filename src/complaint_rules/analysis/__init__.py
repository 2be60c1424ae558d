"""Static analysis of policies: region algebra over the record space, and ``prove``."""

from __future__ import annotations

from .prove import prove
from .prover import Prover
from .report import FINDING_KINDS, Finding, ProofReport

__all__ = ["FINDING_KINDS", "Finding", "ProofReport", "Prover", "prove"]
