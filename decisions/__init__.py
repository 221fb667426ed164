"""The decision stage: from an extraction and its priced lines to a ``core.review.Review``.

Pure functions over core data: no database, no clock, no orchestrator.
"""
from decisions.rules import (
    GridLike,
    PricedLineLike,
    apply_override,
    close,
    closing_indemnity,
    decide,
    market_scatter_ttc,
    propose_ren,
    reopen,
    settle,
)

__all__ = [
    "GridLike", "PricedLineLike", "apply_override", "close", "closing_indemnity", "decide", "market_scatter_ttc",
    "propose_ren", "reopen", "settle",
]
