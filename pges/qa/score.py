"""Score products with the champion QA model: read the rasters, compute the features, predict p(error|I).

Works on any file, without a lake: an unwrapped phase as a GeoTIFF (band 1, radians, or mm, cm or m tagged as
ingest reads them, ``DATA_UNITS`` and a wavelength; any CRS; its no-data value or NaN marks missing pixels) or a
ROI_PAC ``.unw`` with its ``.rsc``; an optional coherence (GeoTIFF
or GAMMA float32) and DEM (GeoTIFF) on the same grid. A catalogued product folder (the interferogram PGE's
layout) gives the wrapped phase and the connected components as well.

The model is ``models:/<name>@champion`` from the MLflow registry; its version's ``sarlake.input_kind`` tag
says whether it takes features, browse thumbnails or phase tiles.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pges.errors import InputValidationError
from pges.qa.features import FEATURE_SET, Features, compute_features
from pges.qa.images import browse_rgb, phase_tile
from pges.qa.model_io import INPUT_KINDS, QUICK_TAG, p_error, thresholds_from_tags, to_model_input
from pges.qa.model_load import load_cached_model
from pges.qa.registry_access import hide_password, is_not_found, unreachable

if TYPE_CHECKING:
    from datetime import date

    from pges.readers.los_sign import LosSign

__all__ = ["MIN_SIDE", "ModelMissingError", "ProductInputs", "Scorer", "check_size", "coherence_beside", "model_inputs",
           "read_files", "read_layer", "read_product_folder", "read_side_inputs", "resolve_version",
           "stale_feature_set"]

logger = logging.getLogger(__name__)


class ModelMissingError(InputValidationError):
    """The registry has no version behind the requested alias that this code can score with."""


def stale_feature_set(tags: dict[str, str]) -> str | None:
    """The feature set a model version was trained on, if it takes features and that is not this code's.

    A feature set's version changes when a feature's meaning changes or features are added (``docs/qa.md``), so
    such a model cannot score this code's features: it has to be retrained. Image models (browse, tiles) are
    not tied to it.
    """
    if "features" not in tags.get("sarlake.input_kind", "features"):
        return None
    trained_on = tags.get("sarlake.feature_set", FEATURE_SET)
    return trained_on if trained_on != FEATURE_SET else None


@dataclass
class ProductInputs:
    """Rasters of one product (NaN = no data) and what it is called."""

    name: str
    unw: np.ndarray
    coherence: np.ndarray | None = None
    wrapped: np.ndarray | None = None
    conncomp: np.ndarray | None = None
    dem: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def features(self) -> Features:
        """QA features of the product."""
        return compute_features(self.unw, self.coherence, self.wrapped, self.conncomp, self.dem, label=self.name)


def model_inputs(products: list[ProductInputs],
                 kinds: tuple[str, ...] = tuple(INPUT_KINDS)) -> tuple[dict[str, Any], list[Features]]:
    """The products' features, and what a model of each input kind in ``kinds`` takes for them.

    Browse thumbnails and phase tiles are drawn only when one of ``kinds`` reads them.
    """
    feats = [p.features() for p in products]
    vectors = np.stack([f.vector() for f in feats])
    empty = np.zeros((len(products), 0))
    browse = np.stack([browse_rgb(p.unw, p.coherence) for p in products]) if "browse" in kinds else empty
    tiles = np.stack([phase_tile(p.unw, p.coherence) for p in products]) if any("tiles" in k for k in kinds) \
        else empty
    return {k: to_model_input(k, vectors, browse, tiles) for k in kinds}, feats


#: what a product layer means with no value in it (all 0, or its declared no-data value): refused, not scored,
#: as no data would be, but saying so (the connected components' 0 is their declared no-data value)
_EMPTY = {"conncomp": "no pixel is in a connected component (all 0 or no data): nothing was unwrapped",
          "coherence": "coherence is 0 or no data everywhere: no pixel has signal"}


def read_layer(path: Path, what: str, shape: tuple[int, int] | None, zero_is_data: bool = False) -> np.ndarray:
    """Band 1 on the phase's grid (``zero_is_data``: a DEM, whose heights are 0 everywhere over the sea)."""
    from pges.readers import read_geotiff_band

    data = read_geotiff_band(path, zero_is_data=zero_is_data, empty=_EMPTY.get(what))[0]
    if shape is not None and data.shape != shape:
        raise InputValidationError(f"{path.name}: {what} is {data.shape[0]}x{data.shape[1]}, the unwrapped phase "
                                   f"{shape[0]}x{shape[1]} (give a {what} on the same grid)")
    return data


def _read_phase_tif(path: Path, los_sign: LosSign | None = None) -> tuple[np.ndarray, bool]:
    """An unwrapped phase GeoTIFF of another processor, in radians; declares no data?

    One band of floating-point radians, or of a length (mm, cm, m) as ingest takes them
    (:func:`pges.readers.geotiff.phase_in_radians`; ``los_sign`` is ``--los-sign``).
    """
    from pges.readers import read_geotiff_band
    from pges.readers.geotiff import named_wrapped, phase_in_radians
    from pges.readers.validate import check_phase_dtype

    data, tags, *_ = read_geotiff_band(path)
    check_phase_dtype(tags["_DTYPE"], what=f"{path.name} band 1")
    if named_wrapped(path):
        raise InputValidationError(f"{path.name}: its name says wrapped phase; QA scores unwrapped phase (give the "
                                   "unwrapped file, or `sarlake unwrap` this one)")
    if int(tags.get("_COUNT", "1")) > 1:
        raise InputValidationError(f"{path.name}: {tags['_COUNT']} bands; QA reads one band of unwrapped phase "
                                   "(extract it first, e.g. gdal_translate -b N IN OUT.tif)")
    return phase_in_radians(data, tags, None, what=path.name, los_sign=los_sign), bool(tags.get("_NODATA"))


#: the shortest side of a product QA assesses: its features need extent (2x2 residue loops, components of
#: 0.2 % of the product, a decorrelated moat and what it encloses); a thinner raster, or one with fewer valid
#: pixels than a square of that side, is refused, not scored
MIN_SIDE = 16


def check_size(phase: np.ndarray, where: Path | str) -> None:
    """Refuse a phase raster thinner than :data:`MIN_SIDE` pixels (``where`` names it in the message)."""
    if min(phase.shape) < MIN_SIDE:
        raise InputValidationError(f"{where}: {phase.shape[0]}x{phase.shape[1]} pixels, too small to assess (QA "
                                   f"needs at least {MIN_SIDE} pixels a side)")


def read_files(unw: str | Path, coherence: str | Path | None = None, dem: str | Path | None = None, *,
               los_sign: LosSign | None = None) -> ProductInputs:
    """Read an unwrapped phase file (GeoTIFF or ROI_PAC .unw) and optional coherence and DEM.

    A GeoTIFF tagged ``DATA_UNITS`` mm, cm or m is converted to radians with its wavelength tag, as ingest does,
    with the sign the file states, PyRate's for ``DATA_UNITS``, or ``los_sign`` (``--los-sign``).

    Raises:
        InputValidationError: a file that is missing, unreadable, on another grid, under :data:`MIN_SIDE`
            pixels a side or with fewer valid pixels than ``MIN_SIDE ** 2``; phase that is not one band of
            floating-point radians (or a length with a wavelength), or holds an undeclared no-data fill (one line
            naming it).
    """
    from pges.readers.coherence import check_coherence_pair
    from pges.readers.common import dates_in_name
    from pges.readers.roipac import read_roipac_unw, rsc_path
    from pges.readers.validate import check_phase_values

    if not str(unw).strip():
        raise InputValidationError("no unwrapped phase file named (its unw column is empty)")
    path = Path(unw)
    if not path.is_file():
        raise InputValidationError(f"{path}: file does not exist")
    if path.suffix.lower() in (".tif", ".tiff"):
        phase, declared = _read_phase_tif(path, los_sign)
        dates = dates_in_name(path.name)  # HyP3's, <d1>_<d2>_unw.tif: else nothing to pair a coherence with
    elif rsc_path(path).is_file():
        ifg = read_roipac_unw(path)
        if ifg.unwrapped_phase is None:
            raise InputValidationError(f"{path}: the ROI_PAC file holds no unwrapped phase")
        phase, declared = ifg.unwrapped_phase, True  # ROI_PAC's no data (0) is read as NaN
        dates = (ifg.secondary_date, ifg.reference_date)
    else:
        raise InputValidationError(f"{path}: not a GeoTIFF (.tif) nor a ROI_PAC .unw with its .rsc beside it")
    check_size(phase, path)
    check_phase_values(phase, what=path.name, nodata_declared=declared, min_valid=MIN_SIDE ** 2)
    if coherence:
        check_coherence_pair(Path(coherence), path.name, dates)
    coh, heights = read_side_inputs(coherence, dem, phase.shape)
    found = None if coherence else coherence_beside(path, dates)
    if found is not None:
        try:
            coh, _ = read_side_inputs(found, None, phase.shape)
        except InputValidationError as exc:  # a file nobody named does not stop the score: left out, and told
            logger.warning("%s: scored without the coherence found beside it: %s", path.name, exc)
            found = None
    return ProductInputs(str(path), phase, coh, None, None, heights,
                         extra={"coherence_found": str(found)} if found else {})


def coherence_beside(path: Path, dates: tuple[date, date] | None) -> Path | None:
    """The coherence file beside a phase file, as ingest finds it.

    Its name with the phase token swapped (HyP3's ``_unw_phase.tif`` -> ``_corr.tif``, ROI_PAC's ``.unw`` ->
    ``.cor``), else one named with its dates.

    Raises:
        InputValidationError: several files beside it are named with its dates (``--coherence`` picks one).
    """
    from pges.readers.coherence import find_sibling_coherence, locate_coherence

    return locate_coherence(path, dates, []) if dates else find_sibling_coherence(path)


def read_side_inputs(coherence: str | Path | None, dem: str | Path | None,
                     shape: tuple[int, int]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The coherence and the DEM given beside a product (None for one not given), on the product's grid.

    Raises:
        InputValidationError: one cannot be read, its message led by which it is ("the coherence file: ..."):
            a reader's message names only the file, and a coherence read as raw floats on the product's grid
            reports sizes that do not say it was the coherence.
    """
    from pges.readers import read_coherence

    readers = {"coherence": lambda f: read_coherence(f, shape),
               "DEM": lambda f: read_layer(f, "DEM", shape, zero_is_data=True)}
    read: dict[str, np.ndarray | None] = {}
    for role, given in (("coherence", coherence), ("DEM", dem)):
        try:
            read[role] = readers[role](Path(given)) if given else None
        except InputValidationError as exc:
            raise InputValidationError(f"the {role} file: {exc}", parameter=exc.parameter) from exc
    return read["coherence"], read["DEM"]


def read_product_folder(folder: str | Path, name: str | None = None) -> ProductInputs:
    """Read a catalogued interferogram folder (``unwrapped_phase.tif``, ``coherence.tif``, ...).

    Raises:
        InputValidationError: no ``unwrapped_phase.tif`` in the folder.
    """
    folder = Path(folder)
    unw = folder / "unwrapped_phase.tif"
    if not unw.is_file():
        raise InputValidationError(f"{folder}: no unwrapped_phase.tif (not an L2 interferogram folder)")
    phase = read_layer(unw, "unwrapped phase", None)
    check_size(phase, unw)
    parts: dict[str, np.ndarray | None] = {}
    for key, fname in (("coherence", "coherence.tif"), ("wrapped", "wrapped_phase.tif"),
                       ("conncomp", "connected_components.tif"), ("dem", "dem.tif")):
        f = folder / fname
        parts[key] = read_layer(f, key, phase.shape, zero_is_data=key == "dem") if f.is_file() else None
    if parts["conncomp"] is not None:
        parts["conncomp"] = np.nan_to_num(parts["conncomp"]).astype(np.int64)
    return ProductInputs(name or folder.name, phase, parts["coherence"], parts["wrapped"], parts["conncomp"],
                         parts["dem"])


def resolve_version(tracking_uri: str, model_name: str, alias: str = "champion") -> Any:
    """The registered version behind ``alias`` (or the version number ``alias``), one this code can score with.

    Returns:
        MLflow's ``ModelVersion`` (``version``, ``tags``); the tracking URI is set to ``tracking_uri``.

    Raises:
        ModelMissingError: no such version (the message names the model, the alias and how to train one), or it
            was trained on another feature set.
        ProcessingError: the registry did not answer (pges.qa.registry_access; a retry may find it up).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri)
    by_number = alias.isdigit()
    try:
        client = mlflow.MlflowClient()
        mv = client.get_model_version(model_name, alias) if by_number else \
            client.get_model_version_by_alias(model_name, alias)
    except MlflowException as exc:
        if not is_not_found(exc):
            raise unreachable(exc, tracking_uri) from None
        which = f"version {alias}" if by_number else f"'{alias}' version"
        raise ModelMissingError(
            f"no {which} of the QA model '{model_name}' in the MLflow registry at {hide_password(tracking_uri)}: "
            "train one with `make train` (or `sarlake qa train`, or the qa_train DAG)"
        ) from None
    except Exception as exc:  # the store's own driver (SQLAlchemy, psycopg2): the database did not answer
        raise unreachable(exc, tracking_uri) from None
    stale = stale_feature_set(mv.tags)
    if stale:
        raise ModelMissingError(
            f"the '{alias}' version {mv.version} of the QA model '{model_name}' was trained on feature set "
            f"{stale}, and this sarlake computes {FEATURE_SET}: retrain it with `make train` (or `sarlake qa "
            "train`, or the qa_train DAG); until then no product can be scored"
        )
    return mv


class Scorer:
    """The champion (or another alias) of a registered QA model, loaded once, scoring many products.

    Args:
        tracking_uri: the MLflow tracking/registry URI.
        model_name: the registered model.
        alias: the alias to resolve (``champion``), or a version number (``"3"``). An alias is resolved at every
            construction, so a promotion takes effect at the next scoring without a redeploy.
        cache_dir: where each model version's artifacts are kept once downloaded. A registered version's
            artifacts never change, so a later scoring of the same version does not download them again.
            None: a temporary copy for this scorer. Either way the copy is loaded with the lightest runtime
            that serves it (skops, LiteRT, ``mlflow.pyfunc`` last: :mod:`pges.qa.model_load`).
        s3_env: the lake's ``SARLAKE_*`` variables: when ``SARLAKE_MLFLOW_ARTIFACT_ROOT`` is on S3, MLflow reads the
            artifacts with its ``SARLAKE_S3__*`` connection (default this process's environment;
            :func:`pges.environment.mlflow_s3_environment`).
    """

    def __init__(self, tracking_uri: str, model_name: str, alias: str = "champion",
                 cache_dir: str | Path | None = None, s3_env: Mapping[str, str] | None = None) -> None:
        from pges.environment import mlflow_s3_environment

        env = os.environ if s3_env is None else s3_env
        mlflow_s3_environment(env.get("SARLAKE_MLFLOW_ARTIFACT_ROOT"), env)
        mv = resolve_version(tracking_uri, model_name, alias)
        self.model_name, self.version = model_name, str(mv.version)
        self.input_kind = mv.tags.get("sarlake.input_kind", "features")
        self.thresholds = thresholds_from_tags(mv.tags)
        #: a quick (smoke) run's version: ``make demo``'s, or ``qa train --quick``'s
        self.quick = mv.tags.get(QUICK_TAG) == "true"
        if self.quick:
            logger.warning("%s version %s ('%s') is a quick training run's model, made to show the pipeline works: "
                           "its scores say little of a product's quality; train the full model with `make train` "
                           "(or `sarlake qa train`, or the qa_train DAG)", model_name, mv.version, alias)
        uri = f"models:/{model_name}/{mv.version}"
        if cache_dir is None:  # a copy for this scorer's lifetime (a LiteRT model reads its file)
            import tempfile

            self._copy = tempfile.TemporaryDirectory(prefix="sarlake-qa-model-")
            cache_dir = self._copy.name
        self.model: Any = load_cached_model(uri, tracking_uri, Path(cache_dir))

    def predict_proba(self, inputs: dict[str, Any]) -> np.ndarray:
        """Class probabilities UWE_0..3 from model inputs by kind (:func:`model_inputs`); this model reads its own."""
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints a progress bar to stdout, where --json lines go
            return np.asarray(self.model.predict(inputs[self.input_kind]))

    def score(self, products: list[ProductInputs]) -> list[dict[str, Any]]:
        """One record per product: ``p_error``, ``uwe_class``, class probabilities, features, model."""
        if not products:
            return []
        inputs, feats = model_inputs(products, (self.input_kind,))
        proba = self.predict_proba(inputs)
        pe, cls = p_error(proba, self.thresholds)
        return [
            {"unw": p.name, "p_error": round(float(pe[i]), 4), "uwe_class": int(cls[i]),
             "class_probabilities": [round(float(v), 4) for v in proba[i]], "degraded": f.degraded,
             "missing_inputs": f.missing, "ignored_inputs": list(f.ignored), "ignored_reasons": f.ignored,
             "model_name": self.model_name, "model_version": self.version,
             "feature_set": f.feature_set, "features": f.as_json()}
            for i, (p, f) in enumerate(zip(products, feats, strict=True))
        ]
