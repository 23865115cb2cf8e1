"""The ``L3_COH`` product: coherence through time of the interferograms a time series used.

Spatial coherence ``|<s1 s2*>| / sqrt(<|s1|^2><|s2|^2>)`` of each interferogram says how reliable its
phase is; read through time it shows where and when the ground decorrelates (vegetation, snow, works,
seasons). The product holds, on the time series' grid:

* ``coherence_stack.tif``: one band per interferogram (band description ``YYYYMMDD_YYYYMMDD``), in the
  order of the pairs' mid-dates, NaN where masked or missing;
* ``mean_coherence.tif``: per-pixel mean over the interferograms;
* ``temporal_coherence.tif``: the temporal coherence of the inversion (:mod:`pges.timeseries.quality`),
  the consistency of the phase through time rather than of one pair;
* ``coherence_time.png``: scene median coherence per interferogram against its mid-date and against its
  temporal baseline, and the two maps.

Reference: Yunjun et al. (2019), Computers & Geosciences 133, 104331 (spatial and temporal coherence
as the two quality measures of a small-baseline time series); Zebker & Villasenor (1992), IEEE TGRS 30(5),
950-959 (decorrelation).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pges import __version__
from pges.metadata import COG_TYPE, AssetSpec, bbox_polygon, build_item, write_item
from pges.raster import write_cog
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.outputs import write_multiband_cog
from pges.timeseries.quality import finite_mean

if TYPE_CHECKING:
    from pges.timeseries.process import TimeseriesResult

__all__ = ["coherence_series", "write_coherence_product"]


def coherence_series(res: TimeseriesResult) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Coherence stack sorted by mid-date, its band names, and the per-interferogram scene medians."""
    coh = res.stack.coherence
    assert coh is not None
    pairs = res.stack.pairs
    mid = [a.toordinal() + (b - a).days / 2 for a, b in pairs]
    order = np.argsort(mid, kind="stable")
    names = [f"{pairs[k][0]:%Y%m%d}_{pairs[k][1]:%Y%m%d}" for k in order]
    stack = coh[order].astype(np.float32)
    with np.errstate(invalid="ignore"):
        medians = np.array([np.nanmedian(b) if np.isfinite(b).any() else np.nan for b in stack])
    return stack, names, medians


def _plot(path: Path, res: TimeseriesResult, names: list[str], medians: np.ndarray, mean: np.ndarray) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from datetime import datetime

    import matplotlib.pyplot as plt

    pairs = [(datetime.strptime(n[:8], "%Y%m%d"), datetime.strptime(n[9:], "%Y%m%d")) for n in names]
    mids = [a + (b - a) / 2 for a, b in pairs]
    dts = [(b - a).days for a, b in pairs]
    fig, ax = plt.subplots(1, 4, figsize=(17, 3.8))
    ax[0].plot(mids, medians, "o", ms=4)
    ax[0].set_ylabel("scene median coherence")
    ax[0].set_title("coherence through time (pair mid-date)", fontsize=9)
    ax[0].tick_params(axis="x", labelrotation=30, labelsize=7)
    ax[1].plot(dts, medians, "o", ms=4)
    ax[1].set_xlabel("temporal baseline, days")
    ax[1].set_title("decorrelation with time span", fontsize=9)
    maps = ((ax[2], mean, "mean spatial coherence"), (ax[3], res.temporal_coherence, "temporal coherence"))
    for a, img, title in maps:
        im = a.imshow(img, vmin=0, vmax=1, cmap="gray", interpolation="nearest")
        a.set_title(title, fontsize=9)
        fig.colorbar(im, ax=a, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_coherence_product(
    res: TimeseriesResult, p: TimeseriesParameters, out: Path, prov: dict[str, Any], pid: str
) -> dict[str, Path]:
    """Write the ``L3_COH`` product of a time-series run into ``out``; return its files (keys ``coh_*``)."""
    tr, nan = res.stack.transform, float("nan")
    stack, names, medians = coherence_series(res)
    mean = finite_mean(stack).astype(np.float32)
    files = {
        "coh_stack": write_multiband_cog(out / "coherence_stack.tif", stack, tr, nodata=nan, descriptions=names),
        "coh_mean": write_cog(out / "mean_coherence.tif", mean, tr, nodata=nan, description="mean_coherence"),
        "coh_temporal": write_cog(
            out / "temporal_coherence.tif", np.asarray(res.temporal_coherence, np.float32), tr, nodata=nan,
            description="temporal_coherence",
        ),
    }
    files["coh_browse"] = _plot(out / "coherence_time.png", res, names, medians, mean)
    rows, cols = mean.shape
    west, north = tr @ (0, 0)
    east, south = tr @ (cols, rows)
    west, east, south, north = min(west, east), max(west, east), min(south, north), max(south, north)
    tcoh = res.temporal_coherence
    properties = {
        "start_datetime": f"{res.dates[0].isoformat()}T00:00:00Z",
        "end_datetime": f"{res.dates[-1].isoformat()}T00:00:00Z",
        "sarlake:product_type": "L3_COH",
        "sarlake:version": __version__,
        "sarlake:aoi": p.aoi,
        **res.stack.orbit_properties(),
        "sarlake:pairs": names,
        "sarlake:median_coherence_per_pair": [None if not np.isfinite(m) else round(float(m), 4) for m in medians],
        "sarlake:temporal_coherence_median": None
        if tcoh is None or not np.isfinite(tcoh).any()
        else round(float(np.nanmedian(tcoh)), 4),
        "sarlake:time_series_id": pid.replace("L3-COH-", "L3-TS-", 1),
    }
    assets = {
        "coherence_stack": AssetSpec("coherence_stack.tif", COG_TYPE, title="coherence per pair (band = pair)"),
        "mean_coherence": AssetSpec("mean_coherence.tif", COG_TYPE, title="mean spatial coherence"),
        "temporal_coherence": AssetSpec("temporal_coherence.tif", COG_TYPE, title="temporal coherence, 0..1"),
        "browse": AssetSpec("coherence_time.png", "image/png", roles=("overview",), title="coherence through time"),
    }
    prov = dict(prov)
    prov["input_product_ids"] = list(res.stack.ids)
    item = build_item(product_dir=out, item_id=pid, geometry=bbox_polygon(west, south, east, north),
                      bbox=[west, south, east, north], properties=properties, assets=assets, provenance=prov)
    files["coh_met"] = write_item(item, out)
    return files
