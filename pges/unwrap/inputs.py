"""The ``unwrap`` PGE's inputs: files, folders, or ``s3://`` objects and prefixes, fetched before any work.

A wrapped interferogram left on S3 (an ISCE2 ``filt_topophase.flat`` with its ``.xml``/``.vrt``, a ROI_PAC ``.int``
with its ``.rsc``, a GeoTIFF with its coherence) is read as ingest reads an unwrapped one
(:func:`pges.ingest.inputs.fetch_object`): the object, and from its S3 folder the headers and coherence a reader
opens beside it. A folder or an ``s3://`` prefix (downloaded whole, but for what no reader opens) gives its wrapped
interferograms, found as ingest finds interferograms in a folder (:func:`pges.readers.kinds.expand_inputs`); the
unwrapped ones are left out and logged (``sarlake ingest`` catalogues them). A ``coherence_dirs`` entry may be an
``s3://`` prefix: its coherence files are downloaded and searched by date. The limits of one listing are the
run-config's ``max_objects`` and ``max_gib`` (``SARLAKE_INGEST__*``). With ``pairs``, a prefix's objects whose
names carry another pair of dates are not downloaded (:mod:`pges.unwrap.pair_keys`). What was read from S3 is
recorded as its ``s3://`` URI, never as the scratch copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest.inputs import local_input
from pges.ingest.prefixes import Downloaded
from pges.readers import Interferogram, SourceFormat, phase_kind
from pges.readers.kinds import expand_inputs
from pges.runner import RunContext
from pges.storage import is_s3
from pges.unwrap.config import UnwrapParameters
from pges.unwrap.pair_keys import keeps

__all__ = ["Inputs", "already_unwrapped", "fetch_inputs", "one_coherence_for", "only_pairs", "pair_name",
           "passed_over"]

logger = logging.getLogger(__name__)


@dataclass
class Inputs:
    """The run's parameters with S3 coherence folders made local, each input file, and where files came from."""

    params: UnwrapParameters
    #: (the URI it came from, its local path) per interferogram, in the inputs' order
    files: list[tuple[str, Path]]
    #: the local copy of the run-config's ``coherence`` file (None without one)
    coherence: Path | None
    #: what was downloaded: :meth:`Downloaded.origin` gives a downloaded file's ``s3://`` URI
    downloaded: Downloaded


def already_unwrapped(path: Path) -> InputValidationError:
    """The refusal of an unwrapped interferogram given to unwrap."""
    return InputValidationError(f"{path.name}: is already unwrapped; catalogue it with `sarlake ingest {path.name}`")


def _wrapped_in(uri: str, folder: Path, downloaded: Downloaded,
                source_format: SourceFormat) -> list[tuple[str, Path]]:
    """The wrapped interferograms of a folder (a prefix's download), each with where it came from."""
    try:
        files, _ = expand_inputs([folder])
    except InputValidationError as exc:
        if not downloaded.passed_over:
            raise
        raise InputValidationError(str(exc) + passed_over(downloaded)) from None
    wrapped: list[Path] = []
    unwrapped: list[Path] = []
    for f in files:
        try:
            kind = phase_kind(f, source_format)
        except InputValidationError as exc:  # not a raster a reader takes: not ours to unwrap
            logger.warning("%s: left out of %s: %s", f.name, uri, exc)
            continue
        if kind is None:  # neither its name nor its data type tells: left to be named on its own
            logger.warning("%s: left out of %s: cannot tell whether it is wrapped; name it to unwrap it", f.name, uri)
            continue
        (wrapped if kind == "wrapped" else unwrapped).append(f)
    if unwrapped:
        logger.info("%d unwrapped interferogram(s) of %s left out (`sarlake ingest` catalogues them): %s",
                    len(unwrapped), uri, ", ".join(f.name for f in unwrapped[:5]))
    if not wrapped:
        raise InputValidationError(f"input {uri}: holds no wrapped interferogram ({len(unwrapped)} unwrapped: "
                                   "`sarlake ingest` catalogues those); name the wrapped files to unwrap"
                                   + passed_over(downloaded))
    return [(downloaded.origin(f) if is_s3(uri) else str(f), f) for f in wrapped]


def fetch_inputs(cfg: RunConfig[UnwrapParameters], ctx: RunContext) -> Inputs:
    """Fetch every input (an ``s3://`` object with its siblings, a prefix whole) and the S3 coherence folders.

    Returns:
        The inputs, a folder's or prefix's wrapped interferograms each on its own, with the URI each came from.
        None is unwrapped by its name or data type (:func:`pges.readers.phase_kind`, told once per file); a file
        that neither tells is read, and its reader says.

    Raises:
        InputValidationError: an input unwrapped already, a folder or prefix without a wrapped interferogram, an
            object or bucket that does not exist, more to download than the limits, a ``coherence`` file for more
            than one interferogram (with ``pairs``, counted once they are chosen: ``pges.unwrap.pge.run``).
        ProcessingError: a listing or a download failed.
    """
    p = cfg.parameters
    downloaded = Downloaded(ctx.workdir / "inputs", p.max_objects, p.max_gib, pge="unwrap",
                            keep=keeps(p.pairs) if p.pairs else None)  # a prefix: the pairs asked for
    files: list[tuple[str, Path]] = []
    for uri in cfg.inputs:
        path = local_input(uri, downloaded)
        if path.is_dir():
            files += _wrapped_in(uri, path, downloaded, p.source_format)
        elif phase_kind(path, p.source_format) == "unwrapped":  # before its dates and wavelength are looked for
            raise already_unwrapped(path)
        else:
            files.append((uri, path))
        if p.coherence and len(files) > 1 and not p.pairs:  # refused before the next input is downloaded
            raise one_coherence_for(len(files), "a folder counts each wrapped one it holds")
    coherence = ctx.fetch(p.coherence) if p.coherence else None
    if any(is_s3(d) for d in p.coherence_dirs):  # an s3:// prefix's coherence files, downloaded, searched by date
        p = p.model_copy(update={"coherence_dirs": [str(downloaded.coherence_dir(d)) if is_s3(d) else d
                                                    for d in p.coherence_dirs]})
    return Inputs(p, files, coherence, downloaded)


def one_coherence_for(n: int, counted: str) -> InputValidationError:
    """The refusal of one ``coherence`` file given for ``n`` interferograms."""
    return InputValidationError(f"coherence names one file, for one interferogram, but {n} are given ({counted}): "
                                "give one input with it, or ask for one pair (pairs), or use coherence_dirs")


def pair_name(ifg: Interferogram) -> str:
    """``20061002_20060619``: the reference date, then the secondary (as in the product id)."""
    return f"{ifg.reference_date:%Y%m%d}_{ifg.secondary_date:%Y%m%d}"


def passed_over(downloaded: Downloaded) -> str:
    """What a refusal adds when objects of a prefix were not downloaded for naming other pairs ("" when none)."""
    keys = downloaded.passed_over
    if not keys:
        return ""
    return (f" ({len(keys)} more object(s), named after other pairs, were not downloaded, e.g. {keys[0]}: "
            "check the pairs asked for)")


def only_pairs(ifgs: list[tuple[str, Interferogram]], pairs: list[str],
               downloaded: Downloaded | None = None) -> list[tuple[str, Interferogram]]:
    """The interferograms of ``pairs`` (``YYYYMMDD_YYYYMMDD``, either order); all of them when none is asked for.

    Raises:
        InputValidationError: an asked pair that no input holds, with the pairs they do hold (and a word on the
            objects of a prefix that ``downloaded`` passed over for naming other pairs).
    """
    if not pairs:
        return ifgs
    held = {frozenset(pair_name(ifg).split("_")): pair_name(ifg) for _, ifg in ifgs}
    missing = [pair for pair in pairs if frozenset(pair.split("_")) not in held]
    if missing:
        names = sorted(held.values())
        raise InputValidationError(f"pair {', '.join(missing)} is in no input; they hold "
                                   f"{', '.join(names[:10]) or 'no interferogram'}"
                                   + (f" and {len(names) - 10} more" if len(names) > 10 else "")
                                   + (passed_over(downloaded) if downloaded else ""), parameter="pairs")
    wanted = {frozenset(pair.split("_")) for pair in pairs}
    return [(uri, ifg) for uri, ifg in ifgs if frozenset(pair_name(ifg).split("_")) in wanted]
