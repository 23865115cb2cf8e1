"""The ``ingest`` PGE: external unwrapped interferograms -> sarlake L2_IFG products.

``python -m pges ingest --run-config FILE`` or, from Python (the ``sarlake ingest PATH...`` command)::

    from pges.ingest import ingest
    met_paths = ingest(["geo_060619-061002.unw"], "var/products/L2_IFG", coherence_dirs=["coh/"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ingest"]


def ingest(
    paths: list[str | Path],
    output_dir: str | Path,
    *,
    run_id: str = "manual__ingest",
    **parameters: Any,
) -> list[Path | str]:
    """Ingest external interferograms into L2_IFG products and return their met.json paths.

    Args:
        paths: interferogram files or URIs (sidecar headers are found beside them).
        output_dir: folder (or ``s3://`` prefix) the products are published under.
        run_id: recorded in provenance.
        **parameters: fields of :class:`pges.ingest.config.IngestParameters` (``source_format``,
            ``coherence``, ``coherence_dirs``, ``wavelength_m``, ``aoi``, ``mission``, ``track``, ...).

    Returns:
        The published ``<product>.met.json`` paths (str URIs for an ``s3://`` output), one per input.

    Raises:
        InputValidationError: bad parameters or input (exit code 2 in the CLI).
        ProcessingError: the run failed on valid input.
    """
    from pges.contract import RunConfig, parse_run_config
    from pges.ingest.config import IngestParameters
    from pges.ingest.pge import run
    from pges.runner import execute

    cfg = parse_run_config(
        RunConfig[IngestParameters],  # type: ignore[misc]
        {
            "pge": "ingest",
            "run_id": run_id,
            "inputs": [str(p) for p in paths],
            "output_dir": str(output_dir),
            "parameters": parameters,
        },
        pge="ingest",
    )
    result = execute("ingest", cfg, run)
    return [Path(p["met_uri"]) if "://" not in p["met_uri"] else p["met_uri"] for p in result["products"]]
