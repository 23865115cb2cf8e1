"""Parameters of the ``qa_dataset`` and ``train`` PGEs (pydantic only: cheap to import)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from pges.contract import PGEParameters

__all__ = ["DatasetParameters", "TrainParameters"]

ModelName = Literal["random_forest", "gradient_boosting", "ordinal_boosting", "mlp_browse", "convnet",
                    "unet_ordinal_boosting"]
#: every model the ``train`` PGE can fit, in its default order
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)


class DatasetParameters(PGEParameters):
    """A labelled set of simulated interferograms (``pges.train.dataset``): one product per run."""

    dataset_id: str = Field("qa-set", pattern=r"^[A-Za-z0-9._-]+$", description="Id (folder name) of the set.")
    scenes: int = Field(840, ge=2, le=5000, description="Simulated scenes (frames); each gives ~5 products (840: "
                                                        "4,200, a held-out split of ~170 scenes, docs/qa.md).")
    first_scene: int = Field(0, ge=0, description="Seed of the first scene; scenes are first_scene, +1, ...")
    dates_per_scene: int = Field(4, ge=2, le=8, description="Acquisitions simulated per scene.")
    neighbours: int = Field(2, ge=1, le=4, description="Each date is paired with this many earlier ones.")
    workers: int = Field(1, ge=1, le=64, description="Processes simulating scenes in parallel.")


class TrainParameters(PGEParameters):
    """Fit the QA classifiers on a labelled set, log them to MLflow and move the aliases.

    ``inputs`` holds the set's met.json URI (from ``qa_dataset``); ``labels`` the consensus labels exported
    from the lake's training table at the snapshot named by ``data_version``.
    """

    labels: str = Field(..., description="CSV with product_id, label (consensus UWE 0-3) and split (train|test).")
    data_version: str = Field(..., min_length=1, description="Iceberg snapshot id of the training table.")
    tracking_uri: str = Field(..., description="MLflow tracking URI of the registry (sqlite:///..., "
                              "http://... or postgresql+psycopg2://...), without a password: the PGE takes it from "
                              "SARLAKE_MLFLOW_TRACKING_URI in its environment (pges.qa.registry_access).")
    artifact_root: str | None = Field(None, description="Artifact location of a new experiment; None = MLflow's.")
    model_name: str = Field("sarlake-qa-uwe", pattern=r"^[A-Za-z0-9._-]+$", description="Registered model.")
    experiment: str = Field("sarlake-qa", description="MLflow experiment.")
    models: list[ModelName] = Field(
        default_factory=lambda: list(MODEL_NAMES),  # type: ignore[arg-type]
        min_length=1, description="Models to fit; each is one MLflow run and one registered version.",
    )
    quick: bool = Field(False, description="Fewer trees/epochs (demo and tests).")
    seed: int = Field(0, ge=0, description="Seed of every model.")
    real_check: str | None = Field(
        None, description="Manifest CSV of real products (unw, coherence, dem, clean from triplet closure; "
                          "pges.train.realcheck): each candidate's false-alarm share on it gates promotion.")
    route_degraded: bool = Field(
        True, description="Feature models as a pair: products without a usable coherence layer are scored by a model "
                          "fitted on every product's features without coherence (pges.train.models.CoherenceRouted).")
    class_thresholds: bool = Field(
        True, description="Fit each feature model's class thresholds (UWE_1 over UWE_0, UWE_3 over UWE_2) on "
                          "out-of-fold predictions of the training split (pges.train.decision); not with quick.")
    crowd_relabel: bool = Field(
        True, description="Train on labels from the crowd's tags and the product's features together: the raters' "
                          "likelihood (the labels CSV's crowd_uwe0..3) times an out-of-fold feature model's "
                          "probabilities in place of Dawid-Skene's prior (pges.train.relabel; 5 more fits); off, or "
                          "a CSV without those columns: the consensus as it is.")
    max_real_false_alarms: float = Field(
        0.25, ge=0, le=1, description="Largest share of the real check's clean products a champion may flag "
                                      "(p(error) >= 0.5).")
    second_sim_products: int | None = Field(
        None, ge=0, le=5000, description="Products of the second simulator (pges.train.second_simulator, seeds 0.."
                                         "n-1) every candidate is scored on, logged as second_sim_* metrics; None = "
                                         "300, or 0 (none) with quick.")
    fresh_scenes: int | None = Field(
        None, ge=0, le=5000, description="Scenes of the labelled set's simulator that no set uses (seeds from "
                                         "fresh_first_scene; ~5 products each) every candidate is scored on, logged "
                                         "as fresh_* metrics with their intervals (pges.train.fresh_check); None = "
                                         "840, or 0 (none) with quick.")
    fresh_first_scene: int = Field(
        500_000, ge=0, description="Seed of the first fresh scene; its scenes must not overlap the labelled set's.")
    workers: int = Field(1, ge=1, le=64, description="Processes simulating the second simulator's, the fresh scenes' "
                                                     "and the U-Net's products.")
    unet_scenes: int | None = Field(
        None, ge=2, le=20000, description="Scenes simulated for the U-Net of unet_ordinal_boosting "
                                          "(pges.train.segmenter; ~5 products each, seeds from unet_first_scene); "
                                          "None = 1200, or 40 with quick.")
    unet_first_scene: int = Field(
        100_000, ge=0, description="Seed of the U-Net's first scene; its scenes must not overlap the labelled set's.")
    unet_levels: int = Field(
        1, ge=1, le=4, description="Output channels of the U-Net: p(pixel k or more cycles off) for k = 1..n; each "
                                   "channel past the first adds two summaries to the classifier's features (2 gave "
                                   "no gain in a trial, docs/qa.md).")

    @model_validator(mode="after")
    def _unique(self) -> TrainParameters:
        if len(set(self.models)) != len(self.models):
            raise ValueError("models must not repeat")
        return self
