"""Typed failures of an evaluation's inputs: each names the input and what is wrong with it.

`scripts/evaluate.py` reports any of them as one line and exits with status 2.
"""

from __future__ import annotations


class EvaluationInputError(ValueError):
    """An input of the evaluation (references, predictions, configuration) cannot be used."""


class ReferencesError(EvaluationInputError):
    """The reference folder or manifest is missing, empty, unreadable or has clashing ids."""


class PredictionsError(EvaluationInputError):
    """A predictor's input (a TSX folder, a manifest for the oracle) is missing, empty or does not match."""
