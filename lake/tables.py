"""Every lake table in one place: schema (with column docs), partitioning, sort order and natural key.

Adding a table is a few lines: describe its columns with :func:`col`, name its key, and put a
:class:`TableSpec` in :data:`TABLES`. ``lake.catalog.init_lake`` creates it; ``lake.write.upsert``
writes it; ``lake.query.connect`` exposes it as a DuckDB view.

Layout rules (DuckDB reads faster from few large files than from many small ones):

* partition only by coarse, query-relevant fields (``product_type``, ``year(start_time)``); never by
  ``track`` (hundreds of values) -- tracks are clustered by the sort order instead, so Parquet row-group
  statistics prune them;
* ``partition_from_key`` says that a key's row is usually in the partition its incoming values give (a
  product id encodes its type and dates). The upsert then reads those partitions first and looks up only
  the keys it did not find there by their key column in the other files (``lake.keys``), so a row whose
  partition value changed is moved, never duplicated. Otherwise every key is looked up that way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table.sorting import SortOrder

__all__ = ["TABLES", "Column", "TableSpec", "col", "table_names"]

ColumnType = Literal[
    "string", "long", "int", "double", "boolean", "timestamptz", "date", "list<string>", "list<int>"
]
Transform = Literal["identity", "year", "month", "day"]

#: Table properties set on every lake table.
DEFAULT_PROPERTIES: dict[str, str] = {
    # lake.write.upsert recomputes the merge on a conflict; pyiceberg's own replay would not.
    "commit.retry.num-retries": "0",
    # DuckDB parallelises by row group: keep them at DuckDB's own size.
    "write.parquet.row-group-limit": "122880",
    "write.parquet.compression-codec": "zstd",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "50",
}


@dataclass(frozen=True)
class Column:
    """One column of a lake table."""

    name: str
    type: ColumnType
    doc: str
    required: bool = False


def col(name: str, type_: ColumnType, doc: str, required: bool = False) -> Column:
    """Describe a column (shorthand used by the table definitions below)."""
    return Column(name, type_, doc, required)


@dataclass(frozen=True)
class TableSpec:
    """A lake table: columns, natural key, partitioning and sort order.

    Attributes:
        name: table name inside the lake namespace.
        doc: one-line description (stored as the table's ``comment`` property).
        columns: the columns, in order.
        key: the natural key (Iceberg identifier fields); upserts match rows on it.
        partition: ``(source column, transform)`` pairs.
        sort: columns the writer sorts each file by (clusters values for min/max pruning).
        partition_from_key: a key's row is usually in its incoming partition (see module doc).
        ignore_on_compare: bookkeeping columns that do not make a row "changed".
        keep_existing: columns whose stored value wins when the incoming value is null
            (facets filled in later by other steps, e.g. ``p_error``, ``status``).
        keep_first: columns whose stored (first) value always wins, e.g. ``created_at``.
        defaults: values for null columns of newly inserted rows.
    """

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition: tuple[tuple[str, Transform], ...] = ()
    sort: tuple[str, ...] = ()
    partition_from_key: bool = False
    ignore_on_compare: tuple[str, ...] = ("created_at", "updated_at")
    keep_existing: tuple[str, ...] = ()
    keep_first: tuple[str, ...] = ("created_at",)
    defaults: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        for ref in (*self.key, *(p for p, _ in self.partition), *self.sort, *self.keep_existing):
            if ref not in names:
                raise ValueError(f"table {self.name}: {ref!r} is not a column")
        for k in self.key:
            if not self.column(k).required:
                raise ValueError(f"table {self.name}: key column {k!r} must be required")

    @property
    def column_names(self) -> list[str]:
        """Names of the columns, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def iceberg_schema(self) -> Schema:
        """Build the pyiceberg schema (field ids from 1, identifier fields = the key)."""
        from pyiceberg.schema import Schema
        from pyiceberg.types import (
            BooleanType,
            DateType,
            DoubleType,
            IntegerType,
            ListType,
            LongType,
            NestedField,
            StringType,
            TimestamptzType,
        )

        primitives = {
            "string": StringType,
            "long": LongType,
            "int": IntegerType,
            "double": DoubleType,
            "boolean": BooleanType,
            "timestamptz": TimestamptzType,
            "date": DateType,
        }
        next_id = len(self.columns) + 1
        fields = []
        for i, c in enumerate(self.columns, start=1):
            if c.type.startswith("list<"):
                element = primitives[c.type[5:-1]]()
                ftype = ListType(element_id=next_id, element_type=element, element_required=False)
                next_id += 1
            else:
                ftype = primitives[c.type]()
            fields.append(NestedField(i, c.name, ftype, required=c.required, doc=c.doc))
        key_ids = [self.column_names.index(k) + 1 for k in self.key]
        return Schema(*fields, identifier_field_ids=key_ids)

    def partition_spec(self, schema: Schema) -> PartitionSpec:
        """Build the partition spec against ``schema`` (a table's current schema)."""
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.transforms import DayTransform, IdentityTransform, MonthTransform, YearTransform

        transforms = {
            "identity": IdentityTransform, "year": YearTransform, "month": MonthTransform, "day": DayTransform
        }
        fields = []
        for i, (source, transform) in enumerate(self.partition):
            name = source if transform == "identity" else f"{source}_{transform}"
            fields.append(
                PartitionField(
                    source_id=schema.find_field(source).field_id,
                    field_id=1000 + i,
                    transform=transforms[transform](),
                    name=name,
                )
            )
        return PartitionSpec(*fields)

    def sort_order(self, schema: Schema) -> SortOrder:
        """Build the sort order against ``schema``."""
        from pyiceberg.table.sorting import UNSORTED_SORT_ORDER, SortField, SortOrder
        from pyiceberg.transforms import IdentityTransform

        if not self.sort:
            return UNSORTED_SORT_ORDER
        return SortOrder(
            *[SortField(source_id=schema.find_field(s).field_id, transform=IdentityTransform()) for s in self.sort]
        )


_BBOX = (
    col("west", "double", "Western bound, degrees longitude (EPSG:4326)."),
    col("south", "double", "Southern bound, degrees latitude."),
    col("east", "double", "Eastern bound, degrees longitude."),
    col("north", "double", "Northern bound, degrees latitude."),
)
_STAMPS = (
    col("created_at", "timestamptz", "When the row was first written (UTC)."),
    col("updated_at", "timestamptz", "When the row last changed (UTC)."),
)

AOIS = TableSpec(
    name="aois",
    doc="Areas of interest the system monitors.",
    columns=(
        col("name", "string", "Unique AOI name (letters, digits, '-' and '_').", required=True),
        col("geometry_wkt", "string", "AOI polygon as WKT (EPSG:4326)."),
        *_BBOX,
        col("active", "boolean", "Whether forward processing monitors this AOI."),
        col("tracks", "list<int>", "Relative orbits (tracks) to process; empty means the default track."),
        col("pairing_neighbours", "int", "Nearest-n sequential pairs per acquisition; null means the default."),
        col("description", "string", "Free text."),
        *_STAMPS,
    ),
    key=("name",),
)

ACQUISITIONS = TableSpec(
    name="acquisitions",
    doc="SAR acquisitions (L1 SLCs) discovered over the AOIs.",
    columns=(
        col("acquisition_id", "string", "Archive id of the acquisition (e.g. SIM_S1_IW_SLC_A044_F1a2b_...).", True),
        col("aoi", "string", "AOI this acquisition was discovered for."),
        col("mission", "string", "Mission, e.g. S1."),
        col("platform", "string", "Platform, e.g. sentinel-1a."),
        col("track", "int", "Relative orbit number."),
        col("direction", "string", "Orbit direction: A (ascending) or D (descending)."),
        col("frame", "string", "Frame id within the track."),
        col("start_time", "timestamptz", "Sensing start (UTC)."),
        col("end_time", "timestamptz", "Sensing end (UTC)."),
        col("footprint_wkt", "string", "Footprint polygon as WKT (EPSG:4326)."),
        *_BBOX,
        col("beam_mode", "string", "Beam mode, e.g. IW."),
        col("polarization", "string", "Polarisation, e.g. VV."),
        col("wavelength_m", "double", "Radar wavelength in metres."),
        col("perpendicular_baseline_m", "double", "Perpendicular baseline to the reference orbit, metres."),
        col("uri", "string", "URI of the acquisition's met.json (or SLC)."),
        col("source", "string", "Discovery adapter that found it (simulated, asf, ...)."),
        col("discovered_at", "timestamptz", "When discovery first saw it (UTC)."),
    ),
    key=("acquisition_id",),
    partition=(("start_time", "year"),),
    sort=("track", "start_time"),
    partition_from_key=True,
    ignore_on_compare=("discovered_at",),
    keep_first=("discovered_at",),
)

PRODUCTS = TableSpec(
    name="products",
    doc="Catalogued products (L2 interferograms, L3 time series, ...), one row per product id.",
    columns=(
        col("product_id", "string", "Product id (ARIA naming), unique.", required=True),
        col("product_type", "string", "L1_SLC, L2_IFG, L3_TS, ..."),
        col("track", "int", "Relative orbit number."),
        col("direction", "string", "Orbit direction: A or D."),
        col("aoi", "string", "AOI the product was made for."),
        col("platform", "string", "Platform(s), e.g. sentinel-1a."),
        col("reference_date", "date", "Reference (later) acquisition date."),
        col("secondary_date", "date", "Secondary (earlier) acquisition date."),
        col("reference_acquisition", "string", "Acquisition id of the reference (later) scene."),
        col("secondary_acquisition", "string", "Acquisition id of the secondary (earlier) scene."),
        col("frame", "string", "Frame id of the scenes (one grid: coregistered)."),
        col("start_time", "timestamptz", "Start of the sensing interval (UTC)."),
        col("end_time", "timestamptz", "End of the sensing interval (UTC)."),
        *_BBOX,
        col("footprint_wkt", "string", "Footprint polygon as WKT (EPSG:4326)."),
        col("coherence_mean", "double", "Mean interferometric coherence (0-1)."),
        col("unwrapped_fraction", "double", "Fraction of valid pixels that were unwrapped (0-1)."),
        col("temporal_baseline_days", "int", "Days between secondary and reference."),
        col("perpendicular_baseline_m", "double", "Perpendicular baseline, metres."),
        col("p_error", "double", "QA: classifier probability that the product has an unwrapping error."),
        col("status", "string", "published, quarantined or pending."),
        col("uri", "string", "URI of the product folder."),
        col("met_uri", "string", "URI of the product's met.json."),
        col("assets", "string", "Assets as JSON (name -> href, type, roles, checksum)."),
        col("pge_name", "string", "PGE that made the product."),
        col("pge_version", "string", "Version of that PGE."),
        col("run_id", "string", "Run (Airflow dag run or manual) that made the product."),
        col("version", "string", "Product version."),
        *_STAMPS,
        col("flags", "string", "Comma-separated quality flags of the product, e.g. no_coherence (null = none)."),
        col("tier", "string", "Where the files are: hot (lake), archive (DAAC) or cached (archived, hot copy)."),
        col("cache_expires_at", "timestamptz", "When a cached copy of an archived product leaves the hot lake."),
        col("quality_failures", "string", "Expectations the product failed (JSON list), when quarantined."),
    ),
    key=("product_id",),
    partition=(("product_type", "identity"), ("start_time", "year")),
    sort=("track", "start_time"),
    partition_from_key=True,
    keep_existing=("p_error", "status", "tier"),
    defaults={"status": "pending", "tier": "hot"},
)

PROVENANCE = TableSpec(
    name="provenance",
    doc="How each product was made: PGE, inputs, parameters, run.",
    columns=(
        col("product_id", "string", "Product id.", required=True),
        col("run_id", "string", "Run that made it.", required=True),
        col("pge_name", "string", "PGE name."),
        col("pge_version", "string", "PGE version."),
        col("pge_image", "string",
            "Container image the PGE ran in, or local:pges==<version>+g<commit> for a local run."),
        col("inputs", "list<string>", "Input URIs."),
        col("parameters", "string", "PGE parameters as JSON."),
        col("software", "string", "Software versions as JSON."),
        col("started_at", "timestamptz", "PGE start (UTC)."),
        col("finished_at", "timestamptz", "PGE end (UTC)."),
        col("host", "string", "Host or pod that ran it."),
        col("dag_id", "string", "Airflow DAG id (null outside Airflow)."),
        col("task_id", "string", "Airflow task id."),
        col("runner", "string", "local or kubernetes."),
        col("requester", "string", "Who asked for the run (the Airflow user who triggered it; null for schedules)."),
        *_STAMPS,
    ),
    key=("product_id", "run_id"),
    # Partitioned by the month the (product, run) was first catalogued: created_at is kept from the first
    # write, so a re-run (whose started_at may fall in another month) updates its row where it is. An
    # upsert finds its keys by their key column (lake.keys) and new rows go to the current month.
    partition=(("created_at", "month"),),
    sort=("product_id",),
)

EVENTS = TableSpec(
    name="events",
    doc="Earthquakes and other events from external feeds (e.g. USGS).",
    columns=(
        col("event_id", "string", "Feed's event id.", required=True),
        col("source", "string", "Feed, e.g. usgs."),
        col("time", "timestamptz", "Origin time (UTC)."),
        col("magnitude", "double", "Magnitude."),
        col("lat", "double", "Latitude, degrees."),
        col("lon", "double", "Longitude, degrees."),
        col("depth_km", "double", "Depth, km."),
        col("place", "string", "Place description."),
        col("alert", "string", "PAGER alert level (green, yellow, orange, red) or null."),
        col("updated", "timestamptz", "When the feed last updated the event (UTC)."),
        col("url", "string", "Event page."),
        col("raw", "string", "The feed's record as JSON."),
        col("status", "string", "Feed status: automatic, reviewed or deleted."),
        col("event_type", "string", "Feed event type: earthquake, quarry blast, ..."),
        col("decision", "string", "Urgent-response decision: trigger or ignore."),
        col("reason", "string", "Why the evaluator decided so (the rule that decided)."),
        col("radius_km", "double", "AOI radius, (M - 5) / 2 x 150 km (triggers)."),
        col("aoi", "string", "AOI made for the event (triggers), e.g. eq-us6000len8."),
        col("tracks", "list<int>", "Tracks processed for the event (empty: the source's default tracks)."),
        col("processing", "string", "Coseismic work: none, pending, done, failed, cancelled or unsupported."),
        col("processed_updated", "timestamptz", "The revision (`updated`) the coseismic work was planned for."),
        col("run_id", "string", "Airflow run that evaluated the latest revision."),
        *_STAMPS,
    ),
    key=("event_id",),
    sort=("time",),
)

ARCHIVE_TRANSFERS = TableSpec(
    name="archive_transfers",
    doc="Every step of every delivery to the DAAC archive (lake.archive_roll), one row per transfer and step.",
    columns=(
        col("transfer_id", "string", "<product>.v<version>.a<attempt>; also the CNM identifier.", required=True),
        col("step", "string", "selected, copied, verified, notified, acknowledged, catalogued, hot_deleted, "
            "failed, restored, evicted; cnm_r_unknown / cnm_r_malformed for messages matching no transfer.",
            required=True),
        col("product_id", "string", "Product delivered."),
        col("version", "string", "Product version delivered."),
        col("attempt", "int", "Attempt number (1 first; a failed attempt is retried as the next)."),
        col("hot_uri", "string", "Product folder in the hot lake."),
        col("archive_uri", "string", "Product folder at the archive."),
        col("files", "string", "Files as JSON: name, hot_uri, uri (archive), size, sha256."),
        col("bytes", "long", "Total bytes of the files."),
        col("reason", "string", "Why the step failed (or what the note is about)."),
        col("error_code", "string", "The DAAC's CNM-R error code on a FAILURE answer."),
        col("failed_step", "string", "The step that failed (on a 'failed' row)."),
        col("next_attempt_at", "timestamptz", "Earliest retry after a failure (exponential back-off)."),
        col("message", "string", "The CNM-S sent (on 'notified') or the message text of a note."),
        col("recorded_at", "timestamptz", "When the step was recorded (UTC)."),
        *_STAMPS,
    ),
    key=("transfer_id", "step"),
    sort=("transfer_id",),
    ignore_on_compare=("created_at", "updated_at", "recorded_at"),
    keep_first=("created_at", "recorded_at"),
)

PGE_VERSIONS = TableSpec(
    name="pge_versions",
    doc="Registry of PGE versions that can be run (again): code version, container image, date.",
    columns=(
        col("pge_name", "string", "PGE name, e.g. interferogram.", required=True),
        col("version", "string", "PGE version (semantic), carried by product ids as -v{version}.", required=True),
        col("code_version", "string", "Source revision the version was built from (git commit or package version)."),
        col("image", "string", "Container image of the version: tag or digest (ghcr.io/sarlake/pge@sha256:...)."),
        col("released", "date", "Date the version was registered for production."),
        col("description", "string", "What changed."),
        *_STAMPS,
    ),
    key=("pge_name", "version"),
)

PGE_RUNS = TableSpec(
    name="pge_runs",
    doc="Failed DAG runs, recorded by the DAG-level failure callback: where an operator looks first.",
    columns=(
        col("dag_id", "string", "Airflow DAG id.", required=True),
        col("run_id", "string", "Airflow run id.", required=True),
        col("state", "string", "Final state of the run (failed)."),
        col("failed_tasks", "list<string>", "Failed task ids, with the map index of mapped tasks (task[3])."),
        col("reason", "string", "Why the run failed (Airflow's reason, or the first failed task's error)."),
        col("conf", "string", "The run's trigger conf as JSON."),
        col("requester", "string", "Who triggered the run."),
        col("logical_date", "timestamptz", "Logical date of the run."),
        col("finished_at", "timestamptz", "When the callback recorded it (UTC)."),
        *_STAMPS,
    ),
    key=("dag_id", "run_id"),
    sort=("dag_id",),
)

USER_TAGS = TableSpec(
    name="user_tags",
    doc="Quality tags on products (ARIA's faceted tags, e.g. UWE_2), one row per product, user and tag type.",
    columns=(
        col("product_id", "string", "Tagged product.", required=True),
        col("user", "string", "Who tagged it (the logged-in user; 'sim-rater-NN' for the simulated crowd).",
            required=True),
        col("tag_type", "string", "UWE, TNS, TNT, ION, ORB, DME, PML, PMR, PCE, RFI or COH.", required=True),
        col("intensity", "int", "0 = checked and absent, 1 = light, 2 = moderate, 3 = severe."),
        col("tagged_at", "timestamptz", "When the user tagged it (UTC)."),
        col("comment", "string", "Free text."),
        col("source", "string", "human or simulated."),
        *_STAMPS,
    ),
    key=("product_id", "user", "tag_type"),
    sort=("product_id",),
)

TAG_CONSENSUS = TableSpec(
    name="tag_consensus",
    doc="Consensus of the user tags per product and tag type: majority vote and Dawid-Skene.",
    columns=(
        col("product_id", "string", "Product.", required=True),
        col("tag_type", "string", "Tag type.", required=True),
        col("majority_intensity", "int", "Most frequent intensity (ties go to the higher one)."),
        col("ds_intensity", "int", "Dawid-Skene estimate (crowd-kit), weighting raters by their confusion."),
        col("ds_confidence", "double", "Dawid-Skene posterior probability of ds_intensity."),
        col("intensity", "int", "The consensus label: ds_intensity when raters disagree, else the majority."),
        col("raters", "int", "Number of raters who tagged this type on this product."),
        col("agreement", "double", "Share of raters who gave the majority intensity (0-1)."),
        *_STAMPS,
    ),
    key=("product_id", "tag_type"),
    sort=("product_id",),
)

RATER_CONFUSION = TableSpec(
    name="rater_confusion",
    doc="Each rater's confusion matrix per tag type from the last Dawid-Skene fit: P(tagged | true intensity).",
    columns=(
        col("tag_type", "string", "Tag type.", required=True),
        col("user", "string", "The rater.", required=True),
        col("true_intensity", "int", "True intensity (0-3).", required=True),
        col("tagged_intensity", "int", "Intensity the rater tags (0-3).", required=True),
        col("probability", "double", "P(rater tags tagged_intensity | the product has true_intensity)."),
        col("prior", "double", "Share of products of this tag type with true_intensity, from the same fit."),
        col("tags", "int", "Tags of this type by this rater that the fit saw."),
        col("fitted_at", "timestamptz", "When the fit ran (UTC)."),
        *_STAMPS,
    ),
    key=("tag_type", "user", "true_intensity", "tagged_intensity"),
    sort=("tag_type", "user"),
)

QA_FEATURES = TableSpec(
    name="qa_features",
    doc="QA features of each product (pges.qa), one row per product and feature-set version.",
    columns=(
        col("product_id", "string", "Product.", required=True),
        col("feature_set", "string", "Feature-set version, e.g. qa-features-1.", required=True),
        col("features", "string", "Feature values as JSON (name -> number or null)."),
        col("degraded", "boolean", "Some inputs were missing: the features that need them are null."),
        col("missing_inputs", "list<string>", "Inputs that were missing (coherence, wrapped, conncomp, dem)."),
        col("unw_uri", "string", "Unwrapped-phase raster the features were computed from."),
        col("computed_at", "timestamptz", "When the features were computed (UTC)."),
        *_STAMPS,
    ),
    key=("product_id", "feature_set"),
    sort=("product_id",),
)

QA_PREDICTIONS = TableSpec(
    name="qa_predictions",
    doc="p(error|I) of each product by each registered QA model version.",
    columns=(
        col("product_id", "string", "Product.", required=True),
        col("model_name", "string", "Registered MLflow model.", required=True),
        col("model_version", "string", "Its version.", required=True),
        col("p_error", "double", "Probability of an unwrapping error of intensity >= 2 (0-1)."),
        col("uwe_class", "int", "Predicted UWE intensity (0-3)."),
        col("class_probabilities", "string", "JSON list of p(UWE_0..3)."),
        col("degraded", "boolean", "Scored from a reduced feature set (missing inputs)."),
        col("feature_set", "string", "Feature-set version used."),
        col("predicted_at", "timestamptz", "When it was scored (UTC)."),
        col("run_id", "string", "Run that scored it."),
        *_STAMPS,
    ),
    key=("product_id", "model_name", "model_version"),
    sort=("product_id",),
)

PRODUCT_LINEAGE = TableSpec(
    name="product_lineage",
    doc="Reprocessed versions of a product and which one is the default (the better-scored).",
    columns=(
        col("product_id", "string", "A version of the product (original or reprocessed).", required=True),
        col("original_id", "string", "The product it is a version of (itself for the original).", required=True),
        col("reason", "string", "Why it was made, e.g. 'p_error 0.93 > 0.5'."),
        col("parameters", "string", "Processing parameters of this version as JSON."),
        col("p_error", "double", "Its QA score."),
        col("is_default", "boolean", "The version users get by default (lowest p_error)."),
        col("run_id", "string", "Run that made or chose it."),
        *_STAMPS,
    ),
    key=("product_id", "original_id"),
    sort=("original_id",),
)

QA_TRAINING_SET = TableSpec(
    name="qa_training_set",
    doc=("Products of QA training sets with their consensus UWE label, what the crowd's tags say of each class, "
         "and fixed split (truth kept elsewhere)."),
    columns=(
        col("product_id", "string", "Product of the set.", required=True),
        col("dataset_id", "string", "Labelled set it belongs to.", required=True),
        col("scene_id", "string", "Simulated scene; the split is by scene."),
        col("split", "string", "train or test (held out)."),
        col("uwe_label", "int", "Consensus UWE intensity from tag_consensus."),
        col("raters", "int", "Raters behind the label."),
        col("agreement", "double", "Their agreement (0-1)."),
        col("missing_inputs", "list<string>", "Inputs left out of the product's features."),
        *(col(f"crowd_uwe{k}", "double",
              f"P(the crowd's UWE tags | UWE_{k}) under the raters' matrices of the fit that gave the label, "
              "without the prior, scaled so the four sum to 1 (empty without a fit).") for k in range(4)),
        *_STAMPS,
    ),
    key=("product_id", "dataset_id"),
    sort=("dataset_id", "product_id"),
)

#: All lake tables by name.
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (AOIS, ACQUISITIONS, PRODUCTS, PROVENANCE, EVENTS, ARCHIVE_TRANSFERS, PGE_VERSIONS, PGE_RUNS,
              USER_TAGS, TAG_CONSENSUS, RATER_CONFUSION, QA_FEATURES, QA_PREDICTIONS, PRODUCT_LINEAGE, QA_TRAINING_SET)
}


def table_names() -> list[str]:
    """Names of the lake tables, in definition order."""
    return list(TABLES)
