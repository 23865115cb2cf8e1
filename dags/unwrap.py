"""### Unwrap other processors' wrapped interferograms

Trigger from the UI form (**Trigger DAG w/ config**), the REST API
(`POST /api/v2/dags/unwrap/dagRuns` with `{"logical_date": null, "conf": {"paths": [...], "aoi": "..."}}`) or
another system's trigger. It does what `sarlake unwrap PATHS --aoi NAME ...` does, with the same run-config:
wrapped interferograms that the `ingest` DAG refuses (a ROI_PAC or ISCE2 `.int`, a complex GeoTIFF, HyP3's
`_wrapped_phase.tif`, GMTSAR's `phasefilt_ll.grd`, SNAP's `i_ifg`/`q_ifg` product) are multilooked, filtered,
unwrapped (SNAPHU or quality-guided) and catalogued as L2_IFG products of the AOI, in the interferogram PGE's layout.

* **paths**: files or folders the workers can read, `s3://` objects, or `s3://bucket/prefix/` folders, one a
  line (at least one); a folder gives its wrapped interferograms (the unwrapped ones are left to `ingest`); an
  `s3://` object is read with the headers and coherence of its S3 folder. One S3 listing downloads at most
  `SARLAKE_INGEST__MAX_OBJECTS` objects and `SARLAKE_INGEST__MAX_GIB` GiB;
* **aoi**: the stored AOI the products belong to (`sarlake aoi add`); inputs whose footprint does not overlap
  it are refused;
* **looks_azimuth**, **looks_range**: looks averaged before unwrapping (N looks cut the phase noise about as
  1/sqrt(N) and the run time about N times, and make the grid N times coarser);
* **method**: SNAPHU (statistical cost) or quality-guided path following (faster, less robust);
* **filter_strength**: Goldstein filter after multilooking (0 = off: most products are filtered already);
* **min_coherence**: pixels below it are not unwrapped;
* **coherence**, **coherence_dirs**: the interferogram's coherence (one file or object, for a single
  interferogram) or folders searched by date (empty: found beside each by name or date; without any, the
  coherence is estimated from the phase and the product flagged `coherence_estimated`);
* **source_format**, **wavelength_m**, **track**, **orbit_state**, **mission**: what a header lacks;
* **replace**: redo products already published.

1. **check_conf** refuses unknown trigger keys and bad values before anything runs;
2. **plan** checks the lake and the AOI and makes the unwrap PGE's run-config (output under
   `<products_root>/L2_IFG/<aoi>`, provenance's run the DAG run); an unknown AOI fails it at once;
3. **unwrap** runs the `unwrap` PGE like every other DAG's PGE tasks: a local subprocess, or with
   `SARLAKE_RUNNER=kubernetes` a pod. Every input is read and checked first: a bad one (an unwrapped file, a
   footprint outside the AOI) fails the task with the PGE's one-line message, not retried (exit 2);
4. **catalogue** catalogues the products (the `products` Asset: the `qa` DAG scores them).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import OPTIONAL_LIST, PAIR_PATTERN, UNWRAP_FORMATS, source_params
from sarlake_plugins.pge import mapped_pge_operator


@dag(
    dag_id="unwrap",
    description="On request: unwrap other processors' wrapped interferograms (files or s3:// prefixes) for an AOI.",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sarlake", "unwrap", "interferogram"],
    default_args={"retries": 2, "execution_timeout": timedelta(minutes=60), "retry_delay": timedelta(minutes=1)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        **source_params("Wrapped interferogram"),
        "looks_azimuth": Param(1, type="integer", minimum=1, maximum=64, title="Looks (rows)",
                               description="Looks along rows averaged before unwrapping."),
        "looks_range": Param(1, type="integer", minimum=1, maximum=64, title="Looks (columns)",
                             description="Looks along columns averaged before unwrapping."),
        "method": Param("snaphu", type="string", enum=["snaphu", "quality"], title="Unwrapper",
                        values_display={"snaphu": "SNAPHU", "quality": "quality-guided"},
                        description="SNAPHU (statistical cost) or quality-guided path following (faster, less "
                        "robust)."),
        "filter_strength": Param(0.0, type="number", minimum=0, maximum=1, title="Goldstein filter",
                                 description="Filter strength after multilooking (0 = off)."),
        "min_coherence": Param(0.0, type="number", minimum=0, exclusiveMaximum=1, title="Minimum coherence",
                               description="Pixels below this coherence are not unwrapped."),
        "coherence": Param(None, type=["null", "string"], minLength=1, title="Coherence",
                           description="The coherence file or s3:// object of a single interferogram; empty = "
                           "found beside it by name or date."),
        "coherence_dirs": Param([], type=OPTIONAL_LIST, items={"type": "string", "minLength": 1},
                                title="Coherence folders", description="Folders the workers can read or "
                                "s3://bucket/prefix/ folders, one a line, searched for each interferogram's coherence "
                                "by the dates in its name; empty = beside each interferogram."),
        "pairs": Param([], type=OPTIONAL_LIST, items={"type": "string", "pattern": PAIR_PATTERN}, title="Pairs",
                       description="Only these pairs of the paths, one a line as YYYYMMDD_YYYYMMDD (the two dates, "
                       "either order; e.g. one pair of a MintPy stack); empty = every interferogram. A GMTSAR "
                       "folder's YYYYDDD_YYYYDDD counts days from 0 = 1 January: 2006274_2006169 is "
                       "20061002_20060619."),
        "source_format": Param("auto", type="string", enum=UNWRAP_FORMATS, title="Format",
                               description="auto: by suffix and the header beside each file."),
        "wavelength_m": Param(None, type=["null", "number"], exclusiveMinimum=0.001, exclusiveMaximum=1.0,
                              title="Wavelength (m)", description="Radar wavelength in metres, when the header lacks "
                              "it."),
        "track": Param(None, type=["null", "integer"], minimum=0, maximum=9999, title="Track",
                       description="Relative orbit / track number; empty = the file's, if it says."),
        "orbit_state": Param(None, type=["null", "string"], enum=[None, "ascending", "descending"],
                             values_display={"None": "(as the file says)"}, title="Orbit state",
                             description="Pass direction; empty = the file's, if it says."),
        "mission": Param(None, type=["null", "string"], pattern=r"^[A-Za-z0-9_.-]{1,40}$", title="Mission",
                         description="Platform, e.g. sentinel-1a (optional)."),
        "replace": Param(False, type="boolean", title="Replace", description="Redo products already published."),
    },
)
def unwrap() -> None:
    """Check the AOI, run the unwrap PGE on the paths, catalogue its products."""

    @task(retries=0, show_return_value_in_logs=False)
    def plan(params: dict[str, Any] | None = None, **context: Any) -> list[dict[str, Any]]:
        """The unwrap PGE's run-config (the one `sarlake unwrap` makes), the lake and the AOI checked."""
        from sarlake_plugins.unwrap import plan_unwrap

        return plan_unwrap(dict(params or {}), context)

    @task(outlets=[asset("products"), asset("provenance")])
    def catalogue(results: list[dict[str, Any]], **context: Any) -> dict[str, Any]:
        """Catalogue the products; their ids."""
        from sarlake_plugins.unwrap import catalogue_unwrap

        return catalogue_unwrap(list(results), context)

    # mypy ignores below: a @task takes XComArgs here; Airflow's stubs type its call with the resolved values
    configs = plan()
    check_conf() >> configs
    runs = mapped_pge_operator("unwrap", task_id="unwrap", run_configs=configs)
    catalogue(runs.output)  # type: ignore[arg-type]


unwrap()
