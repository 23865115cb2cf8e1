"""The files ``sarlake qa score`` reads: every format ingest reads, so a product is judged as its processor wrote it.

A GeoTIFF or a ROI_PAC ``.unw`` is read by :func:`pges.qa.score.read_files`; ARIA's S1-GUNW, SNAP's BEAM-DIMAP,
ISCE2, GAMMA, GMTSAR and MintPy's stacks by their readers (:func:`pges.readers.read_interferograms`).

Such a file's own coherence and connected components (a GUNW's, an ISCE2 product's ``.cor`` beside it) are scored
with it; ``--coherence`` and ``--dem`` are read as for a GeoTIFF. A stack gives one product per pair, named
``<file>:<earlier>_<later>``. QA reads the phase in radians, which these formats hold: the wavelength, which some of
their readers insist on, is not used, so a reader that refuses a file for want of one
(:class:`pges.readers.validate.WavelengthError`) is given :data:`UNUSED_WAVELENGTH_M`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pges.errors import InputValidationError
from pges.qa.score import MIN_SIDE, ProductInputs, check_size, read_files, read_side_inputs
from pges.readers.los_sign import LosSign
from pges.readers.roipac import rsc_path
from pges.readers.validate import WavelengthError

__all__ = ["UNUSED_WAVELENGTH_M", "read_inputs"]

#: the wavelength given to a reader that needs one when the file has none: QA scores radians and never uses it
UNUSED_WAVELENGTH_M = 0.0555


def read_inputs(unw: str | Path, coherence: str | Path | None = None, dem: str | Path | None = None, *,
                los_sign: LosSign | None = None) -> list[ProductInputs]:
    """The products in ``unw`` (one, or one per pair of a stack), with the optional coherence and DEM.

    Raises:
        InputValidationError: a missing or unreadable file, or one :func:`pges.qa.score.read_files` or the
            format's reader refuses (named); a wrapped interferogram (to unwrap first).
    """
    path = Path(unw)
    if not str(unw).strip() or not path.is_file() or path.suffix.lower() in (".tif", ".tiff") \
            or rsc_path(path).is_file():
        return [read_files(unw, coherence, dem, los_sign=los_sign)]
    return _read_other(path, coherence, dem)


def _read_other(path: Path, coherence: str | Path | None, dem: str | Path | None) -> list[ProductInputs]:
    from pges.readers import read_interferograms
    from pges.readers.coherence import check_coherence_pair
    from pges.readers.validate import check_phase_values

    try:
        ifgs = read_interferograms(path)
    except WavelengthError:  # none in the file, or not a radar's: these formats hold radians, so it is unused
        ifgs = read_interferograms(path, wavelength_m=UNUSED_WAVELENGTH_M)
    out = []
    for ifg in ifgs:
        if ifg.unwrapped_phase is None:
            raise InputValidationError(f"{path.name}: is a wrapped interferogram; unwrap it first (`sarlake unwrap "
                                       f"{path.name}`) and score what it makes")
        phase = ifg.unwrapped_phase.astype(np.float32)
        check_size(phase, path)
        check_phase_values(phase, what=path.name, nodata_declared=True, min_valid=MIN_SIDE ** 2)
        if coherence:
            check_coherence_pair(Path(coherence), path.name, (ifg.secondary_date, ifg.reference_date))
        coh, heights = read_side_inputs(coherence, dem, phase.shape)
        coh = coh if coherence else ifg.coherence
        components = None if ifg.connected_components is None else ifg.connected_components.astype(np.int64)
        name = str(path) if len(ifgs) == 1 else f"{path}:{ifg.secondary_date:%Y%m%d}_{ifg.reference_date:%Y%m%d}"
        out.append(ProductInputs(name, phase, coh, None, components, heights))
    return out
