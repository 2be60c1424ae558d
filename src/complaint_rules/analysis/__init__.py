"""Static analysis of policies: region algebra over the record space, and ``prove``."""

from __future__ import annotations

from .prove import FINDING_KINDS, Finding, ProofReport, Prover, prove

__all__ = ["FINDING_KINDS", "Finding", "ProofReport", "Prover", "prove"]
