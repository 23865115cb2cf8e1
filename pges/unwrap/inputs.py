"""The ``unwrap`` PGE's inputs: local files, or ``s3://`` objects downloaded with what a reader opens beside them.

A wrapped interferogram left on S3 (an ISCE2 ``filt_topophase.flat`` with its ``.xml``/``.vrt``, a ROI_PAC ``.int``
with its ``.rsc``, a GeoTIFF with its coherence) is read as ingest reads an unwrapped one
(:func:`pges.ingest.inputs.fetch_object`): the object, and from its S3 folder the headers and coherence a reader
opens beside it. A ``coherence_dirs`` entry may be an ``s3://`` prefix: its coherence files are downloaded and
searched by date. The limits of one listing are the run-config's ``max_objects`` and ``max_gib``
(``SARLAKE_INGEST__*``). A folder or prefix is refused: unwrap takes files, each named. What was read from S3 is
recorded as its ``s3://`` URI, never as the scratch copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest.inputs import fetch_object
from pges.ingest.prefixes import Downloaded
from pges.runner import RunContext
from pges.storage import is_s3, local_path, split_s3
from pges.unwrap.config import UnwrapParameters

__all__ = ["Inputs", "fetch_inputs"]


@dataclass
class Inputs:
    """The run's parameters with S3 coherence folders made local, each input file, and where files came from."""

    params: UnwrapParameters
    #: (the URI given, its local path) per input, in order
    files: list[tuple[str, Path]]
    downloaded: Downloaded

    def origin(self, path: Path) -> str:
        """The ``s3://`` URI a downloaded file came from; a local path as it is."""
        return self.downloaded.origin(path)


def _refuse_folder(uri: str) -> None:
    folder = local_path(uri)
    named_prefix = is_s3(uri) and (uri.endswith("/") or not split_s3(uri)[1])
    if named_prefix or (folder is not None and folder.is_dir()):
        raise InputValidationError(
            f"input {uri}: is a folder; unwrap takes wrapped interferogram files: name each one "
            "(`sarlake ingest` reads a folder or prefix of unwrapped products)")


def fetch_inputs(cfg: RunConfig[UnwrapParameters], ctx: RunContext) -> Inputs:
    """Fetch every input (an ``s3://`` object with its siblings) and the S3 coherence folders, before any work.

    Raises:
        InputValidationError: a folder or prefix among the inputs, an object or bucket that does not exist, more to
            download than the limits.
        ProcessingError: a listing or a download failed.
    """
    p = cfg.parameters
    downloaded = Downloaded(ctx.workdir / "inputs", p.max_objects, p.max_gib, pge="unwrap")
    for uri in cfg.inputs:
        _refuse_folder(uri)
    files = [(uri, fetch_object(uri, ctx, downloaded)) for uri in cfg.inputs]
    if any(is_s3(d) for d in p.coherence_dirs):  # an s3:// prefix's coherence files, downloaded, searched by date
        p = p.model_copy(update={"coherence_dirs": [str(downloaded.coherence_dir(d)) if is_s3(d) else d
                                                    for d in p.coherence_dirs]})
    return Inputs(p, files, downloaded)
