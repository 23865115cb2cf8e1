"""The ``ingest`` PGE's inputs: fetch them, expand folders, read and check every one before anything is written.

A zip archive (HyP3's products) is unpacked and read as a folder (:mod:`pges.ingest.archives`), and so is an
S3 prefix once downloaded (:mod:`pges.ingest.prefixes`); what comes from them is recorded where it came from. A folder's
coherence, DEM and other rasters are left out (:func:`pges.readers.kinds.expand_inputs`), and so is a
wrapped interferogram found in it (``sarlake unwrap`` it), unless its pair was read unwrapped in the same run
(HyP3's and LiCSAR's pair folders hold both): then it is a side file of that pair (``"pair_of"``).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest.archives import Unpacked, is_archive
from pges.ingest.config import IngestParameters
from pges.ingest.prefixes import Downloaded
from pges.readers import Interferogram, dates_from_name, phase_kind, read_interferograms
from pges.readers.common import dates_in_name
from pges.readers.kinds import expand_inputs
from pges.runner import RunContext
from pges.storage import fetch_input, is_s3, local_path

if TYPE_CHECKING:
    from pges.ingest.pge import IngestOutputs

__all__ = ["WRAPPED", "Read", "check_aoi", "fetch_object", "local_input", "read_all"]

logger = logging.getLogger(__name__)

#: the ``kind`` of a folder's wrapped interferogram in ``left_out`` (the others are the raster kinds of
#: :func:`pges.readers.kinds.expand_inputs`)
WRAPPED = "wrapped interferogram"
_SIDECARS = (".rsc", ".par", ".dem_par", ".diff_par")
#: an interferogram read, where it came from, and where its coherence came from (None without one)
Read = tuple[str, Interferogram, str | None]


def local_input(uri: str, downloaded: Downloaded) -> Path:
    """Local path of an input: a local folder as is, an S3 prefix downloaded, an ``s3://`` object with its siblings."""
    folder = local_path(uri)
    if folder is not None and folder.is_dir():
        return folder
    prefix = downloaded.download(uri)
    if prefix is not None:
        return prefix
    return fetch_object(uri, downloaded)


def fetch_object(uri: str, downloaded: Downloaded) -> Path:
    """Local path of one input file; an ``s3://`` object is downloaded with its siblings.

    An object's siblings are what a reader opens beside it, from its folder (:meth:`Downloaded.beside`), or only its
    headers by name when the folder may not be listed.
    """
    path = fetch_input(uri, downloaded.cache_dir)
    if is_s3(uri) and not downloaded.beside(uri):
        for suffix in _SIDECARS:
            try:
                fetch_input(uri + suffix, downloaded.cache_dir)
            except InputValidationError:
                continue
    return path


def _explicit_coherence(p: IngestParameters, ctx: RunContext, n_inputs: int) -> dict[frozenset[date], Path] | Path:
    """Explicit coherence files keyed by their date pair (or the single file when there is one input)."""
    by_dates: dict[frozenset[date], Path] = {}
    for uri in p.coherence:
        path = ctx.fetch(uri)
        dates = dates_from_name(path.name)
        if dates is None:
            if n_inputs == 1 and len(p.coherence) == 1:
                return path
            raise InputValidationError(f"{path.name}: no dates in the coherence file name to pair it with an input")
        by_dates[frozenset(dates)] = path
    return by_dates


def _path_dates(path: Path) -> frozenset[date] | None:
    """The pair of dates an input's path names, or None when none does.

    In its file name, else in its folder's or the one above (ISCE2's ``interferograms/20180101_20180113/
    filt_fine.unw``), where its reader finds them too.
    """
    for name in (path.name, path.parent.name, path.parent.parent.name):
        named = dates_in_name(name)
        if named:
            return frozenset(named)
    return None


def _refuse_unpaired(coherence: dict[frozenset[date], Path], read: list[Read], not_read: list[str],
                     inputs: list[tuple[str, Path, bool]]) -> None:
    """Refuse a ``--coherence`` file that no interferogram read took: its dates are no input's (a wrong file).

    Before, it was dropped in silence and the product flagged ``no_coherence``. One whose dates are those of an
    input refused (skip_bad) or left out (a folder's wrapped file) is not an error.
    """
    used = {ifg.coherence_path for _, ifg, _ in read}
    pairs = {frozenset((ifg.reference_date, ifg.secondary_date)) for _, ifg, _ in read}
    excused = {named for name in not_read if (named := _path_dates(Path(name)))}
    unpaired = [(sorted(pair), path) for pair, path in coherence.items()
                if path not in used and pair not in pairs | excused]
    if unpaired:
        (earlier, later), path = unpaired[0]
        names = ", ".join(p.name for _, p, _ in inputs[:3]) + (" ..." if len(inputs) > 3 else "")
        raise InputValidationError(
            f"{path.name}: this --coherence file is of the pair {earlier}/{later}, which no interferogram read has "
            f"({names}); give each input's own pair's coherence (or --coherence-dir to find them by date)")


def check_aoi(ifg: Interferogram, aoi_wkt: str | None, aoi: str | None) -> None:
    """Refuse an interferogram whose footprint does not overlap the AOI's polygon."""
    if not aoi_wkt:
        return
    from shapely import box, from_wkt

    if not from_wkt(aoi_wkt).intersects(box(*ifg.bbox)):
        w, s, e, n = ifg.bbox
        raise InputValidationError(
            f"{ifg.path.name}: footprint {w:.4f} {s:.4f} {e:.4f} {n:.4f} does not overlap AOI {aoi or ''} "
            "(name another --aoi, or add one that covers it)"
        )


def _read_one(path: Path, coherence: Path | None, explicit: bool, p: IngestParameters) -> list[Interferogram] | None:
    """Read and check one input; None for a wrapped interferogram found in a folder (left out, reported)."""
    wrapped = phase_kind(path, p.source_format) == "wrapped"  # told before its dates and wavelength are looked for
    ifgs = [] if wrapped else read_interferograms(path, source_format=p.source_format, coherence=coherence,
                                                  coherence_dirs=p.coherence_dirs, wavelength_m=p.wavelength_m,
                                                  los_sign=p.los_sign)
    if not explicit and (wrapped or all(i.is_wrapped for i in ifgs)):
        logger.info("%s: wrapped interferogram left out of the folder (`sarlake unwrap` it)", path.name)
        return None
    if wrapped or any(i.is_wrapped for i in ifgs):
        raise InputValidationError(
            f"{path.name}: is a wrapped interferogram; unwrap it first with `sarlake unwrap {path.name}` (or the "
            "unwrap DAG)"
        )
    for ifg in ifgs:
        check_aoi(ifg, p.aoi_wkt, p.aoi)
    return ifgs


def _pair_wrapped_with_unwrapped(left_out: list[dict[str, str]], read: list[Read]) -> None:
    """Mark each wrapped interferogram left out whose pair was read unwrapped in the same run (``"pair_of"``).

    HyP3's and LiCSAR's pair folders hold the wrapped phase beside the unwrapped one: it is a side file of a pair
    ingested, not a pair still to unwrap.
    """
    pairs = {frozenset((ifg.reference_date, ifg.secondary_date)): uri for uri, ifg, _ in read}
    for entry in left_out:
        if entry["kind"] != WRAPPED:
            continue
        named = dates_in_name(Path(entry["input"]).name)  # dates that are no dates: left as one to unwrap
        if named and frozenset(named) in pairs:
            entry["pair_of"] = pairs[frozenset(named)]


def read_all(
    cfg: RunConfig[IngestParameters], ctx: RunContext, outputs: IngestOutputs, pool: ThreadPoolExecutor
) -> list[Read]:
    """Read and validate every input before anything is written; skip_bad leaves bad ones out (reported).

    Each interferogram comes with where it came from and where its coherence came from (None without one): the
    URI given, or the ``s3://`` object or archive member a folder's file was downloaded or unpacked from.

    Inputs are read on ``pool`` (GDAL reads outside the GIL) and their results taken in input order, so the
    error raised (without skip_bad) is the one of the first bad input, as when they were read one by one.
    """
    p = cfg.parameters
    coherence = _explicit_coherence(p, ctx, len(cfg.inputs))
    local: list[tuple[str, Path, bool]] = []  # uri, path, named explicitly (not found in a folder)
    unpacked = Unpacked(ctx.workdir)
    downloaded = Downloaded(ctx.workdir / "inputs", p.max_objects, p.max_gib)
    if any(is_s3(d) for d in p.coherence_dirs):  # an s3:// prefix's coherence files, downloaded, searched by date
        p = p.model_copy(update={"coherence_dirs": [str(downloaded.coherence_dir(d)) if is_s3(d) else d
                                                    for d in p.coherence_dirs]})

    def origin(path: Path) -> str:
        """Where a file of the run's work folder came from (an archive's member, an S3 object), else the path."""
        named = unpacked.uri(path)  # else an S3 object (--coherence s3://..., a prefix's) or a local file
        return downloaded.origin(path) if named == str(path) else named

    def expand(uri: str, path: Path, explicit: bool) -> None:
        if path.is_file() and is_archive(path):
            path, kept_in = unpacked.unpack(path, uri)  # a HyP3 product's zip: read as its folder
            explicit = False
            outputs.left_out += [{"input": origin(f), "kind": kind, "by": how} for f, kind, how in kept_in]
        if path.is_dir():
            files, left = expand_inputs([path])
            for f in files:
                expand(origin(f), f, False)
            outputs.left_out += [{"input": origin(f), "kind": kind, "by": how} for f, kind, how in left]
        else:
            expand_inputs([path])  # refuses a coherence/DEM raster given as an interferogram
            local.append((uri, path, explicit))

    for uri in cfg.inputs:
        expand(uri, local_input(uri, downloaded), True)
    outputs.left_out += [{"input": origin(f), "kind": kind, "by": how} for f, kind, how in downloaded.left]

    def attempt(job: tuple[str, Path, bool]) -> list[Interferogram] | InputValidationError | None:
        _, path, explicit = job
        coh: Path | None = coherence if isinstance(coherence, Path) else None
        if isinstance(coherence, dict) and coherence:
            named = _path_dates(path)
            coh = coherence.get(named) if named else None
        try:
            return _read_one(path, coh, explicit, p)
        except InputValidationError as exc:
            return exc

    read: list[Read] = []
    for (uri, path, _), got in zip(local, pool.map(attempt, local), strict=True):
        if isinstance(got, InputValidationError):
            if not p.skip_bad:
                raise got
            logger.warning("skipped %s: %s", path.name, got)
            outputs.rejected.append({"input": uri, "error": str(got)})
            continue
        if got is None:
            outputs.left_out.append({"input": uri, "kind": WRAPPED})
            continue
        read += [(uri, ifg, None if ifg.coherence_path is None else origin(ifg.coherence_path)) for ifg in got]
    if isinstance(coherence, dict):
        _refuse_unpaired(coherence, read, [o["input"] for o in outputs.rejected + outputs.left_out], local)
    _pair_wrapped_with_unwrapped(outputs.left_out, read)
    if not read:
        wrapped = [Path(o["input"]).name for o in outputs.left_out if o["kind"] == WRAPPED]
        if wrapped and not outputs.rejected:
            named = ", ".join(wrapped[:3]) + (f" and {len(wrapped) - 3} more" if len(wrapped) > 3 else "")
            raise InputValidationError(
                f"no unwrapped interferogram to ingest: {len(wrapped)} wrapped one(s) left out ({named}); "
                "unwrap them first with `sarlake unwrap` (or the unwrap DAG), which catalogues what it makes")
        raise InputValidationError("no valid input interferogram (every input was refused; see the warnings)")
    return read
