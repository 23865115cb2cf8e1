"""### Ingest other processors' interferograms

Trigger from the UI form (**Trigger DAG w/ config**), the REST API
(`POST /api/v2/dags/ingest/dagRuns` with `{"logical_date": null, "conf": {"paths": [...], "aoi": "..."}}`) or
another system's trigger. It does what `sarlake ingest PATHS --aoi NAME ...` does, with the same run-config:
HyP3 zips, LiCSAR frames, ARIA GUNWs, SNAP, ISCE2, GAMMA, ROI_PAC, GMTSAR, MintPy stacks and GeoTIFFs become
L2_IFG products of the AOI, catalogued in the lake.

* **paths**: files or folders the workers can read, `s3://` objects, or `s3://bucket/prefix/` folders, one a
  line (at least one); a folder with no interferogram of its own is searched two levels down, a .zip is read
  as the folder it holds; an `s3://` object is read with the headers and coherence of its S3 folder. One S3
  listing downloads at most `SARLAKE_INGEST__MAX_OBJECTS` objects and `SARLAKE_INGEST__MAX_GIB` GiB (2000 and
  20 unless set), else the run fails naming the setting;
* **aoi**: the stored AOI the products belong to (`sarlake aoi add`); inputs whose footprint does not overlap
  it are refused;
* **source_format**: `auto` (by suffix and the header beside each file) or the format;
* **wavelength_m**, **track**, **orbit_state**, **los_sign**, **mission**: what a header lacks (the wavelength
  and the sign of a GeoTIFF in a length override the file's);
* **coherence**: coherence files or `s3://` objects, paired with the interferograms by the dates in their names
  (empty: found beside each by name or date);
* **coherence_dirs**: folders the workers can read or `s3://bucket/prefix/` folders, one a line, searched for the
  coherence file of each interferogram by the dates in its name (of a prefix only the coherence files are
  downloaded);
* **skip_bad**: leave out inputs that fail validation (reported) instead of ingesting nothing;
* **replace**: re-ingest products already published (new coherence, corrected wavelength);
* **revision**: with replace, make the products a new version, `<PGE version>.<N>`: new content for a product the
  roll has archived is refused at its archived version, and delivered to the DAAC as a new version with this.

1. **check_conf** refuses unknown trigger keys and bad values before anything runs;
2. **plan** checks that the AOI exists and makes the ingest PGE's run-config (output under
   `<products_root>/L2_IFG/<aoi>`, provenance's run the DAG run); an unknown AOI fails it at once;
3. **ingest** runs the `ingest` PGE like every other DAG's PGE tasks: a local subprocess, or with
   `SARLAKE_RUNNER=kubernetes` a pod. Every input is read and checked first: a bad one fails the task with the
   PGE's one-line message, not retried (exit 2), and nothing is published (unless `skip_bad`);
4. **catalogue** catalogues the products (the `products` Asset: the `qa` DAG scores them) and returns a summary:
   the ids, how many were catalogued, kept (already published, not replaced), rejected (`skip_bad`) and left out
   (a folder's coherence, DEM and other rasters).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import OPTIONAL_LIST, ingest_choices, ingest_default, ingest_optional, source_params
from sarlake_plugins.pge import mapped_pge_operator


@dag(
    dag_id="ingest",
    description="On request: catalogue other processors' interferograms (files or s3:// prefixes) for an AOI.",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sarlake", "ingest", "interferogram"],
    default_args={"retries": 2, "execution_timeout": timedelta(minutes=20), "retry_delay": timedelta(minutes=1)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        **source_params("Interferogram"),
        "source_format": Param(ingest_default("source_format"), type="string", enum=ingest_choices("source_format"),
                               title="Format", description="auto: by suffix and the header beside each file."),
        "wavelength_m": Param(**ingest_optional("wavelength_m", "number", exclusiveMinimum=0.001, exclusiveMaximum=1.0),
                              title="Wavelength (m)", description="Radar wavelength in metres: used when a header "
                              "lacks it, and overrides the header's; empty = the header's."),
        "track": Param(**ingest_optional("track", "integer", minimum=0, maximum=9999), title="Track",
                       description="Relative orbit / track number; empty = the file's, if it says."),
        "orbit_state": Param(**ingest_optional("orbit_state", "string", enum=ingest_choices("orbit_state")),
                             title="Orbit state", description="Pass direction; empty = the file's, if it says."),
        "los_sign": Param(**ingest_optional("los_sign", "string", enum=ingest_choices("los_sign")),
                          title="LOS sign", description="GeoTIFFs in a length (mm, cm, m): which way a positive "
                          "value points, toward the satellite or away; overrides what the file says."),
        "mission": Param(**ingest_optional("mission", "string", pattern=r"^[A-Za-z0-9_.-]{1,40}$"), title="Mission",
                         description="Platform, e.g. envisat or sentinel-1a; empty = the file's, if it says."),
        "coherence": Param(ingest_default("coherence"), type=OPTIONAL_LIST, items={"type": "string", "minLength": 1},
                           title="Coherence", description="Coherence files or s3:// objects, one a line, paired "
                           "with the interferograms by the dates in their names; empty = found beside them."),
        "coherence_dirs": Param(ingest_default("coherence_dirs"), type=OPTIONAL_LIST,
                                items={"type": "string", "minLength": 1}, title="Coherence folders",
                                description="Folders the workers can read or s3://bucket/prefix/ folders, one a line, "
                                "searched for each interferogram's coherence by the dates in its name (of a prefix "
                                "only the coherence files are downloaded); empty = beside each interferogram."),
        "skip_bad": Param(ingest_default("skip_bad"), type="boolean", title="Skip bad inputs",
                          description="Leave out inputs that fail validation (reported) instead of ingesting "
                          "nothing."),
        "replace": Param(ingest_default("overwrite"), type="boolean", title="Replace",
                         description="Re-ingest products already published (new coherence, corrected wavelength)."),
        "revision": Param(**ingest_optional("revision", "integer", minimum=2, maximum=999), title="Revision",
                          description="With Replace: make the products a new version, '<PGE version>.<N>', so that "
                          "new content of an archived product is delivered to the DAAC as a new version; empty = "
                          "the PGE version."),
    },
)
def ingest() -> None:
    """Check the AOI, run the ingest PGE on the paths, catalogue its products."""

    @task(retries=0, show_return_value_in_logs=False)
    def plan(params: dict[str, Any] | None = None, **context: Any) -> list[dict[str, Any]]:
        """The ingest PGE's run-config (the one `sarlake ingest` makes), the AOI checked."""
        from sarlake_plugins.ingest import plan_ingest

        return plan_ingest(dict(params or {}), context)

    @task(outlets=[asset("products"), asset("provenance")])
    def catalogue(results: list[dict[str, Any]], plans: list[dict[str, Any]], **context: Any) -> dict[str, Any]:
        """Catalogue the products; the ids and counts (kept, rejected, left out)."""
        from sarlake_plugins.ingest import catalogue_ingest

        return catalogue_ingest(list(results), plans, context)

    # mypy ignores below: a @task takes XComArgs here; Airflow's stubs type its call with the resolved values
    configs = plan()
    check_conf() >> configs
    runs = mapped_pge_operator("ingest", task_id="ingest", run_configs=configs)
    catalogue(runs.output, configs)  # type: ignore[arg-type]


ingest()
