"""The PGEs by name. Modules are imported lazily, so ``--list`` and ``--help`` stay fast.

Each PGE package ``pges.<name>`` has a ``config`` module with its parameter model (pydantic only, cheap to
import) and a ``pge`` module with ``run(cfg: RunConfig[Params], ctx: RunContext) -> <Outputs dataclass>``.
Adding a PGE is one line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from pges.errors import InputValidationError

__all__ = ["PGES", "PGESpec", "get"]


@dataclass(frozen=True)
class PGESpec:
    """Where a PGE lives: its parameter model and its ``run`` function, as import paths."""

    name: str
    summary: str
    parameters: str  # "module:Class"
    run: str  # "module:function"

    def parameters_model(self) -> Any:
        """Import and return the PGE's parameter model class."""
        module, attr = self.parameters.split(":")
        return getattr(importlib.import_module(module), attr)

    def run_config_model(self) -> Any:
        """The concrete ``RunConfig[Params]`` class of this PGE."""
        from pges.contract import RunConfig

        return RunConfig[self.parameters_model()]  # type: ignore[misc]

    def run_function(self) -> Any:
        """Import and return the PGE's ``run(cfg, ctx)``."""
        module, attr = self.run.split(":")
        return getattr(importlib.import_module(module), attr)


PGES: dict[str, PGESpec] = {
    spec.name: spec
    for spec in (
        PGESpec(
            "simulate",
            "Deterministic simulated Sentinel-1 SLC archive (radar grid, lookups, DEM, truth).",
            "pges.simulate.config:SimulateParameters",
            "pges.simulate.pge:run",
        ),
        PGESpec(
            "interferogram",
            "Two coregistered SLCs -> geocoded unwrapped interferogram (COGs, browse, met.json).",
            "pges.interferogram.config:InterferogramParameters",
            "pges.interferogram.pge:run",
        ),
        PGESpec(
            "ingest",
            "External unwrapped interferograms (GeoTIFF, ROI_PAC, GAMMA, ISCE2, GMTSAR, MintPy) -> L2_IFG products.",
            "pges.ingest.config:IngestParameters",
            "pges.ingest.pge:run",
        ),
        PGESpec(
            "unwrap",
            "A wrapped interferogram from another processor (+ coherence) -> unwrapped L2_IFG (COGs, browse).",
            "pges.unwrap.config:UnwrapParameters",
            "pges.unwrap.pge:run",
        ),
        PGESpec(
            "timeseries",
            "L2_IFG products -> L3_TS: SBAS displacement time series, velocity, closure check, GNSS comparison.",
            "pges.timeseries.config:TimeseriesParameters",
            "pges.timeseries.pge:run",
        ),
        PGESpec(
            "qa",
            "L2 interferograms -> QA features and p(error|I) from a registered model (qa.jsonl).",
            "pges.qa.config:QAParameters",
            "pges.qa.pge:run",
        ),
        PGESpec(
            "qa_dataset",
            "Labelled set of simulated interferograms (all 11 artefact types), truth kept apart, for QA training.",
            "pges.train.config:DatasetParameters",
            "pges.train.dataset_pge:run_dataset",
        ),
        PGESpec(
            "train",
            "Fit the QA classifiers on a labelled set, log them to MLflow, register them and move the aliases.",
            "pges.train.config:TrainParameters",
            "pges.train.pge:run_train",
        ),
        PGESpec(
            "noop",
            "Does nothing and publishes nothing: what a PGE task costs around the science (orchestration benchmark).",
            "pges.noop:NoopParameters",
            "pges.noop:run",
        ),
    )
}


def get(name: str) -> PGESpec:
    """Return the PGE called ``name``.

    Raises:
        InputValidationError: no such PGE (the message lists the known ones).
    """
    try:
        return PGES[name]
    except KeyError:
        raise InputValidationError(f"unknown PGE {name!r}; known: {', '.join(sorted(PGES))}") from None
