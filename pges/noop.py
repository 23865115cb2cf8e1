"""The ``noop`` PGE: validates its run-config, runs nothing and publishes nothing.

It goes through everything a real PGE run does around the science (interpreter start, imports, run-config
validation, staging folder, result file), so a mapped task running it measures what orchestration costs per
task (``bench/bench_orchestration.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pges.contract import PGEParameters, RunConfig
from pges.runner import ProductResult, RunContext

__all__ = ["NoopOutputs", "NoopParameters", "run"]


class NoopParameters(PGEParameters):
    """No parameters: the PGE does nothing."""


@dataclass
class NoopOutputs:
    """No products."""

    products: list[ProductResult] = field(default_factory=list)


def run(cfg: RunConfig[NoopParameters], ctx: RunContext) -> NoopOutputs:
    """Do nothing; publish nothing."""
    return NoopOutputs()
