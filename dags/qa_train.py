"""### QA training: labelled set, simulated crowd, classifiers in MLflow, champion by comparison

Triggered by an ML engineer from the UI (no schedule). One run:

1. **simulate_set** (the `qa_dataset` PGE: a local subprocess, or a pod with `SARLAKE_RUNNER=kubernetes`)
   simulates a labelled set of interferograms (`scenes` scenes, ~5 products each, all 11 artefact types,
   varied terrain, coherence, atmosphere and unwrappers) with the simulator's truth kept apart;
2. **label_set**: a simulated crowd tags them (`user_tags`, source `simulated`); consensus (majority,
   Dawid-Skene) labels them (`tag_consensus`); the set and its labels go to `qa_training_set`, whose snapshot id
   is the data version, and the labels are exported beside the products (`QA_TRAINING_LABELS/`) for the PGE;
3. **train** (the `train` PGE, a subprocess or a pod) fits the chosen models (Random Forest, gradient and ordinal
   boosting on QA features, an MLP on browse thumbnails, a Keras ConvNet on phase tiles, a U-Net on the truth's
   error maps of 1,200 scenes of its own whose summaries feed ordinal boosting), each one MLflow run in
   experiment `sarlake-qa` and one version of the registered model `sarlake-qa-uwe`, and moves `champion` to
   the best version only if it beats the current champion on the same held-out split; the runner-up becomes
   `challenger`. Compare the runs side by side in the MLflow UI (`make up`). A champion must also pass the
   **real check**: it may flag at most `max_real_false_alarms` of the clean real interferograms in
   `real_check` (a manifest CSV with closure truth, on S3 for pods; `make up` sets `SARLAKE_QA_REAL_CHECK` to
   the Sydney Envisat stack). Each run's share is logged;
4. **promotion** returns which candidates were registered, promoted or held back and why.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import QA_MODELS, set_default, train_default
from sarlake_plugins.pge import pge_operator


@dag(
    dag_id="qa_train",
    description="On request: simulate a labelled set, train QA classifiers in MLflow, promote a better champion.",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "qa", "ml", "training"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=5), "execution_timeout": timedelta(hours=6)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "scenes": Param(set_default("scenes"), type="integer", minimum=20, maximum=5000, title="Simulated scenes",
                        description="Scenes in the labelled set; each gives about 5 interferograms "
                        f"({set_default('scenes')} -> ~{5 * set_default('scenes'):,}, one scene in five held out)."),
        "first_scene": Param(0, type="integer", minimum=0, title="First scene seed",
                             description="Seed of the first scene; a new value gives an independent set."),
        # examples make the form's field a multi-select (with items.enum alone it was a free text box);
        # items.enum refuses any other name in a trigger's conf
        # at least one, each once: an empty choice would fit every model, a repeated one the same model twice
        "models": Param(QA_MODELS, type="array", items={"type": "string", "enum": QA_MODELS}, examples=QA_MODELS,
                        minItems=1, uniqueItems=True,
                        title="Models",
                        description="Models to fit; each becomes one MLflow run and one registered version. "
                                    "With convnet, its average with each feature model and with "
                                    "unet_ordinal_boosting is registered too."),
        "quick": Param(train_default("quick"), type="boolean", title="Quick",
                       description="Fewer trees and epochs: a smoke run. Its versions are registered and tagged "
                                   "sarlake.quick but never replace the champion of a full run."),
        "seed": Param(train_default("seed"), type="integer", minimum=0, title="Model seed",
                      description="Seed of every model."),
        "real_check": Param(None, type=["null", "string"], title="Real check set",
                            description="Manifest CSV of real interferograms with closure truth (columns unw, "
                            "coherence, dem, clean). Empty: SARLAKE_QA_REAL_CHECK."),
        "max_real_false_alarms": Param(None, type=["null", "number"], minimum=0, maximum=1,
                                       title="Largest real false-alarm share",
                                       description="Share of the clean real products a champion may flag. "
                                       "Empty: SARLAKE_QA_MAX_REAL_FALSE_ALARMS (0.25)."),
        "second_sim_products": Param(None, type=["null", "integer"], minimum=0, maximum=5000,
                                     title="Second-simulator products",
                                     description="Products of the second simulator every candidate is also scored "
                                     "on (second_sim_* metrics; 0 = none). Empty: 300, none with Quick."),
        "fresh_scenes": Param(None, type=["null", "integer"], minimum=0, maximum=5000, title="Fresh scenes",
                              description="Scenes no labelled set uses (seeds from 500,000) every candidate is also "
                              "scored on (fresh_* metrics with 95 % intervals; 0 = none). Reported, never a choice. "
                              "Empty: 840, none with Quick."),
        "class_thresholds": Param(train_default("class_thresholds"), type="boolean", title="Fit class thresholds",
                                  description="Fit each feature model's class thresholds (UWE_1 over UWE_0, UWE_3 "
                                  "over UWE_2) on out-of-fold predictions (5 more fits per model); off: classes "
                                  "decided at p = 0.5. Not with Quick."),
        "crowd_relabel": Param(train_default("crowd_relabel"), type="boolean", title="Relabel with the features",
                               description="Train on the crowd's tags and the products' features together: each "
                               "product's rater likelihood times an out-of-fold feature model's probabilities, in "
                               "place of Dawid-Skene's prior (5 more fits); off: the consensus as it is."),
        "workers": Param(2, type="integer", minimum=1, maximum=64, title="Worker processes",
                         description="Processes that simulate the labelled set, the second simulator's products, "
                         "the fresh scenes and the U-Net's scenes; "
                         "at most the cores of the PGE's process or pod."),
    },
)
def qa_train() -> None:
    """Build a labelled set, train the QA models, register them and move the aliases."""

    @task
    def plan_set(params: dict[str, Any] | None = None, **context: Any) -> dict[str, Any]:
        """The labelled set's run-config (its tables are checked first)."""
        from sarlake_plugins.qa import plan_training_set

        return plan_training_set(dict(params or {}), context)

    @task(outlets=[asset("qa_training_set"), asset("user_tags")])
    def label_set(result: dict[str, Any], params: dict[str, Any] | None = None, **context: Any) -> dict[str, Any]:
        """Simulated crowd -> user_tags -> consensus -> qa_training_set; the train run-config."""
        from sarlake_plugins.qa import label_training_set

        return label_training_set(result, dict(params or {}), context)

    @task
    def promotion(result: dict[str, Any]) -> dict[str, Any]:
        """Which versions were registered, which took the aliases and which were held back."""
        from sarlake_plugins.qa import training_summary

        return training_summary(result)

    # mypy ignores below: a @task takes XComArgs here; Airflow's stubs type its call with the resolved values
    planned = plan_set()
    check_conf() >> planned  # a misspelled key stops the run before anything is planned or checked
    dataset = pge_operator("qa_dataset", task_id="simulate_set", run_config=planned)
    fit = pge_operator("train", task_id="train", run_config=label_set(dataset.output))  # type: ignore[arg-type]
    promotion(fit.output)  # type: ignore[arg-type]


qa_train()
