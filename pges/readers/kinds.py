"""What a file in an input folder is, so a whole folder can be given to ``ingest``.

A processor's output folder holds interferograms beside coherence, DEMs, amplitudes, connected
components, masks and header files. :func:`classify` says which, from (in this order) the file name, the
band description of a GeoTIFF, and its values:

* headers and side files (``.rsc``, ``.par``, ``.xml``, ``.vrt``, ``.PRM``, ``.txt``, images...) -> ``header``;
* ``.zip`` -> ``archive`` (HyP3's products; :func:`expand_inputs` returns it with the interferograms, to unpack);
* names with a coherence token (``*.cc``, ``*.cor``, ``*.coh``, ``*_cc.tif``, ``*coh*``, ``*corr*``) -> ``coherence``;
* ``dem``, ``hgt``, ``height``, ``elevation`` -> ``dem``; ``conncomp`` -> ``conncomp``; ``amp``, ``mli``,
  ``pwr``, ``intensity`` -> ``amplitude``; ``los``, ``incidence``, ``lv_theta``, ``mask``, ``water``, LiCSAR's
  ``.geo.E/N/U.tif`` -> ``other``;
* a GeoTIFF band described as coherence/correlation/height/elevation/amplitude -> that kind;
* in a folder only: a GeoTIFF of integers (a DEM or a mask), or of floats all within 0..1 (coherence);
* a GMTSAR ``x.grd`` beside its geocoded ``x_ll.grd`` -> ``radar`` (only the ``_ll`` grid is ingested);
* files with an interferogram suffix (``.unw``, ``.int``, ``.tif``, ``.grd``, ``.h5``, ISCE2 ``.geo``, SNAP's
  BEAM-DIMAP ``.dim``) -> ``interferogram``; anything else -> ``other``. A ``.dim``'s ``<name>.data/`` folder (one
  ENVI raster per band, read through the ``.dim``) is never searched.

:func:`expand_inputs` turns folders into their interferograms and says what it left out; a folder with no
interferogram of its own is searched :data:`FOLDER_DEPTH` levels down (LiCSAR's ``<frame>/interferograms/<pair>/``,
a folder of HyP3 product folders). A file the user named explicitly that is not an interferogram is refused with the
reason.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from pges.errors import InputValidationError

__all__ = ["classify", "classify_how", "expand_inputs", "kind_by_name", "never_read"]

logger = logging.getLogger(__name__)

_HEADER_SUFFIXES = (".rsc", ".par", ".dem_par", ".diff_par", ".off", ".xml", ".vrt", ".prm", ".led", ".txt",
                    ".json", ".md", ".png", ".jpg", ".jpeg", ".kml", ".kmz", ".hdr", ".ovr", ".aux", ".log",
                    ".cfg", ".conf", ".yaml", ".yml", ".csv", ".npy", ".pdf", ".ps", ".cpt")
_IFG_SUFFIXES = (".unw", ".int", ".tif", ".tiff", ".grd", ".nc", ".h5", ".he5", ".flat", ".geo", ".dim")
_TOKENS = [
    ("coherence", re.compile(r"(^|[._-])(cc|coh|cor|corr|coherence|correlation|phsig)([._-]|$)")),
    ("conncomp", re.compile(r"conncomp|connect_?comp|(^|[._-])ccomp([._-]|$)")),
    ("dem", re.compile(r"(^|[._-])(dem|hgt|height|elevation|elev|topo|topo_ra)([._-]|\d|$)")),
    ("amplitude", re.compile(r"(^|[._-])(amp|amplitude|mli|pwr|intensity|mag|display_amp)([._-]|$)")),
    ("other", re.compile(r"(^|[._-])(los|incidence|inc|lv_theta|lv_phi|mask|water|lat|lon|az|azimuth)([._-]|$)")),
    ("other", re.compile(r"\.geo\.[enu]\.tif$")),  # LiCSAR's LOS unit vector: <frame>.geo.E/N/U.tif
]
_DESCRIPTIONS = {"coherence": "coherence", "correlation": "coherence", "height": "dem", "elevation": "dem",
                 "dem": "dem", "amplitude": "amplitude", "connected components": "conncomp"}


def _by_content(path: Path, use_values: bool) -> tuple[str, str] | None:
    """A GeoTIFF's kind from its band description, then (``use_values``) its data type and values; and which."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():  # the reader says what a file without georeferencing lacks
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                desc = (src.descriptions[0] or "").strip().lower()
                for key, kind in _DESCRIPTIONS.items():
                    if key in desc:
                        return kind, "band description"
                if not use_values:
                    return None
                if src.dtypes[0].startswith(("int", "uint")) and src.dtypes[0] not in ("int8", "uint8"):
                    return "dem", "values"
                if src.dtypes[0].startswith("float"):
                    data = src.read(1, out_shape=(min(src.height, 256), min(src.width, 256))).astype(np.float64)
                    if src.nodata is not None:
                        data[data == src.nodata] = np.nan
                    finite = data[np.isfinite(data) & (data != 0)]
                    if finite.size and finite.min() >= 0 and finite.max() <= 1.0:
                        return "coherence", "values"
    except RasterioIOError:
        return None  # the reader says what is wrong with it
    return None


#: what a file's name may say it is for no reader to open it beside an interferogram: a DEM, an amplitude, another
#: raster (look vectors, incidence, masks)...
_NEVER_READ = ("dem", "amplitude", "other")
#: ... except a LiCSAR frame's LOS unit vector (``<frame>.geo.E/N/U.tif``, :mod:`pges.readers.licsar`)
_LICSAR_LOS = re.compile(r"\.geo\.[enu]\.tif$")


def _kind_by_name(low: str) -> str | None:
    """The kind a (lower-case) file name alone says, opening nothing; None when the name does not say."""
    if low.endswith(_HEADER_SUFFIXES) or low.startswith("."):
        return "header"
    if low.endswith(".zip"):
        return "archive"  # HyP3's products: the ingest PGE unpacks them (pges.ingest.archives)
    for kind, pattern in _TOKENS:
        if pattern.search(low):
            return kind
    if low.endswith((".dem", ".hgt")):
        return "dem"
    if low.endswith((".cc", ".cor", ".coh")):
        return "coherence"
    return None


def kind_by_name(path: Path | str) -> str | None:
    """The kind a file's name alone says (:func:`classify`'s kinds), opening nothing; None when the name does not say.

    The file need not exist: an S3 object is judged by its key's last part before it is downloaded.
    """
    return _kind_by_name(Path(path).name.lower())


def never_read(path: Path) -> tuple[str, str] | None:
    """The kind a file's name gives it, and ``name``, when no reader opens such a file; else None.

    By the name alone (the file need not exist): an archive's member or an S3 object is then not unpacked or
    downloaded, only counted as left out (a HyP3 product's DEM, amplitude and look vectors, most of its size).
    """
    low = Path(path).name.lower()
    kind = _kind_by_name(low)  # the name only: a member or an object not fetched is not there to open
    if kind not in _NEVER_READ or _LICSAR_LOS.search(low):
        return None
    return kind, "name"


def classify(path: Path, *, use_values: bool = True) -> str:
    """What a file is, by the rules of the module's list.

    One of ``interferogram``, ``archive``, ``coherence``, ``dem``, ``amplitude``, ``conncomp``, ``radar``,
    ``header`` or ``other``.

    ``use_values=False`` (for a file the user named) trusts the name and band description only: a small-valued
    interferogram must not be taken for coherence.
    """
    return classify_how(path, use_values=use_values)[0]


def classify_how(path: Path, *, use_values: bool = True) -> tuple[str, str]:
    """:func:`classify`'s kind, and what told it: ``name``, ``band description`` or ``values``."""
    path = Path(path)
    low = path.name.lower()
    named = _kind_by_name(low)
    if named is not None:
        return named, "name"
    if low.endswith((".tif", ".tiff")):
        by_content = _by_content(path, use_values)
        if by_content is not None:
            return by_content
    if low.endswith(".grd") and path.with_name(path.name[:-4] + "_ll.grd").is_file():
        return "radar", "name"  # GMTSAR: the radar-coordinate twin of a geocoded *_ll.grd
    if low.endswith(_IFG_SUFFIXES) or ".unw." in low or ".int." in low:
        return "interferogram", "name"
    return "other", "name"


#: how many levels of subfolders a folder without interferograms of its own is searched (LiCSAR's
#: ``<frame>/interferograms/<pair>/``, a folder of HyP3 product folders)
FOLDER_DEPTH = 2


def _snap_bands(folder: Path) -> bool:
    """True for SNAP's ``<name>.data/`` beside its ``<name>.dim``: its bands are read through the ``.dim``."""
    return folder.name.lower().endswith(".data") and folder.with_suffix(".dim").is_file()


def _walk(folder: Path, depth: int) -> tuple[list[Path], list[tuple[Path, str, str]]]:
    """A folder's interferograms and its other files; its subfolders' too (``depth`` levels) when it has none."""
    found: list[Path] = []
    here: list[tuple[Path, str, str]] = []
    for child in sorted(p for p in folder.iterdir() if p.is_file()):
        kind, how = classify_how(child)
        if kind in ("interferogram", "archive"):
            found.append(child)
        else:
            here.append((child, kind, how))
    if not found and depth > 0:
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                          and not _snap_bands(p)):
            more, other = _walk(sub, depth - 1)
            found += more
            here += other
    return found, here


def expand_inputs(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str, str]]]:
    """Files to ingest from files and folders, and what was left out: path, kind, what told it (:func:`classify_how`).

    Raises:
        InputValidationError: a file named explicitly is a coherence, DEM or other raster, not an interferogram;
            a folder holds no interferogram.
    """
    files: list[Path] = []
    left: list[tuple[Path, str, str]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found, here = _walk(path, FOLDER_DEPTH)
            if not found:
                seen = ", ".join(f"{n} {k}" for k, n in Counter(k for _, k, _ in here).items()) or "no files"
                raise InputValidationError(
                    f"{path.name}/: folder holds no interferogram (.unw, .int, .tif, .grd, .h5, .nc, .dim, .zip; found "
                    f"{seen}), nor do its subfolders ({FOLDER_DEPTH} levels down); name the files to ingest"
                )
            files += found
            left += here
            continue
        kind = classify(path, use_values=False) if path.is_file() else "interferogram"
        if kind in ("coherence", "dem", "amplitude", "conncomp"):
            hint = " (give it with --coherence)" if kind == "coherence" else ""
            raise InputValidationError(f"{path.name}: looks like a {kind} raster, not an interferogram{hint}")
        files.append(path)
    if left:
        counts = Counter(kind for _, kind, _ in left)
        logger.info("left out %d file(s): %s", len(left), ", ".join(f"{n} {k}" for k, n in counts.items()))
    return files, left
