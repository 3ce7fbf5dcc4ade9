"""Anonymisation of case texts: the engine (pure Python) and its Django side (case_brief).

Import the engine from here; ``case_brief`` needs Django and is imported on its own.
"""

from consent.anonymiser.engine import Redaction, Result, Segment, find_identifiers, redact
from consent.anonymiser.identifiers import IdentifierError, Identifiers
from consent.anonymiser.rarity import RarityWarning

__all__ = [
    "IdentifierError",
    "Identifiers",
    "RarityWarning",
    "Redaction",
    "Result",
    "Segment",
    "find_identifiers",
    "redact",
]
