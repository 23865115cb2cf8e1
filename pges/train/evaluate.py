"""Held-out evaluation of a QA model: "UWE >= 2" precision/recall/F1, per-class accuracy, ROC AUC, figures.

Metrics are computed against the simulator's truth (independent of the crowd) and, for comparison, against
the crowd consensus the model was trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS, ERROR_FROM, p_error
from pges.train.unwrap_failures import NO_FAILURE

__all__ = ["CAUSES", "CHECK_METRICS", "by_cause", "cause_of", "figures", "metrics"]

#: the :func:`metrics` a check beside the held-out split logs per candidate (second simulator, fresh scenes)
CHECK_METRICS = ("f1_uwe2", "roc_auc_uwe2", "accuracy", "accuracy_uwe0", "accuracy_uwe1", "accuracy_uwe2",
                 "accuracy_uwe3")


def metrics(y_true: np.ndarray, proba: np.ndarray, prefix: str = "",
            thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> dict[str, float]:
    """Binary (UWE >= 2) precision, recall, F1, ROC AUC, Brier score; per-class and overall accuracy.

    Args:
        y_true: true intensities 0-3.
        proba: (n, 4) predicted class probabilities.
        prefix: prepended to every metric name.
        thresholds: the model's class thresholds (:func:`pges.qa.model_io.decide_class`).
    """
    from sklearn.metrics import brier_score_loss, precision_recall_fscore_support, roc_auc_score

    y_true = np.asarray(y_true, dtype=int)
    pe, cls = p_error(proba, thresholds)
    bad, pred_bad = y_true >= ERROR_FROM, pe >= 0.5
    p, r, f1, _ = precision_recall_fscore_support(bad, pred_bad, average="binary", zero_division=0)
    out = {"precision_uwe2": float(p), "recall_uwe2": float(r), "f1_uwe2": float(f1),
           "accuracy": float((cls == y_true).mean()), "brier_uwe2": float(brier_score_loss(bad, pe))}
    out["roc_auc_uwe2"] = float(roc_auc_score(bad, pe)) if 0 < bad.sum() < len(bad) else float("nan")
    for k in range(4):
        sel = y_true == k
        out[f"accuracy_uwe{k}"] = float((cls[sel] == k).mean()) if sel.any() else float("nan")
        out[f"count_uwe{k}"] = float(sel.sum())
        out[f"mean_p_error_uwe{k}"] = float(pe[sel].mean()) if sel.any() else float("nan")
    return {f"{prefix}{k}": v for k, v in out.items()}


#: what made a product's error, from its truth record (``truth.csv``): none, an unwrapper's failure (a visible
#: 2 pi k cut, ``pges.train.unwrap_failures``), the simulator's hidden island (a true-phase offset behind a
#: moat, in no product), both, or the unwrapper erring by itself (on noise, aliased gradients, a burst's jump)
CAUSES = ("clean", "failure", "hidden", "both", "unwrapper")


def cause_of(truth: dict[str, Any]) -> str:
    """The cause of a product's unwrapping error (one of :data:`CAUSES`); sets made before failures: none."""
    if int(truth["UWE"]) == 0:
        return "clean"
    failure = str(truth.get("uwe_failure_kind") or NO_FAILURE.kind) != NO_FAILURE.kind
    hidden = int(truth.get("uwe_injected") or 0) > 0
    return "both" if failure and hidden else "failure" if failure else "hidden" if hidden else "unwrapper"


def by_cause(truths: list[dict[str, Any]], proba: np.ndarray, prefix: str = "",
             thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> dict[str, float]:
    """Per cause of error: product count, share with the class right and with "UWE >= 2" right.

    Beside them, every :func:`metrics` figure on the products without a hidden island (``visible_``): what the
    model does on the errors a product can show.
    """
    y_true = np.array([int(t["UWE"]) for t in truths])
    causes = np.array([cause_of(t) for t in truths])
    pe, cls = p_error(proba, thresholds)
    out: dict[str, float] = {}
    for c in CAUSES:
        sel = causes == c
        out[f"cause_{c}_count"] = float(sel.sum())
        out[f"cause_{c}_class_accuracy"] = float((cls[sel] == y_true[sel]).mean()) if sel.any() else float("nan")
        out[f"cause_{c}_binary_accuracy"] = (
            float(((pe[sel] >= 0.5) == (y_true[sel] >= ERROR_FROM)).mean()) if sel.any() else float("nan"))
    visible = ~np.isin(causes, ("hidden", "both"))
    if visible.any():
        out.update(metrics(y_true[visible], proba[visible], "visible_", thresholds))
    return {f"{prefix}{k}": v for k, v in out.items()}


def figures(y_true: np.ndarray, proba: np.ndarray, title: str, out_dir: Path,
            importances: dict[str, float] | None = None,
            thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> dict[str, Path]:
    """Confusion matrix, calibration curve, p(error) histograms per class and feature importances (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import confusion_matrix

    out_dir.mkdir(parents=True, exist_ok=True)
    y_true = np.asarray(y_true, dtype=int)
    pe, cls = p_error(proba, thresholds)
    paths: dict[str, Path] = {}

    cm = confusion_matrix(y_true, cls, labels=[0, 1, 2, 3])
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="black" if v < cm.max() / 2 else "white")
    ax.set(xticks=range(4), yticks=range(4), xticklabels=[f"UWE_{k}" for k in range(4)],
           yticklabels=[f"UWE_{k}" for k in range(4)], xlabel="predicted", ylabel="true (simulator)",
           title=f"{title}: confusion")
    fig.tight_layout()
    paths["confusion_matrix"] = out_dir / "confusion_matrix.png"
    fig.savefig(paths["confusion_matrix"], dpi=110)
    plt.close(fig)

    bad = y_true >= ERROR_FROM
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    if 0 < bad.sum() < len(bad):
        frac, mean_p = calibration_curve(bad, pe, n_bins=10, strategy="uniform")
        ax.plot(mean_p, frac, "o-", label=title)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfectly calibrated")
    ax.set(xlabel="predicted p(error)", ylabel="observed share with UWE >= 2", title="calibration")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    paths["calibration"] = out_dir / "calibration.png"
    fig.savefig(paths["calibration"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for k in range(4):
        if (y_true == k).any():
            ax.hist(pe[y_true == k], bins=list(np.linspace(0, 1, 21)), histtype="step", lw=1.6, label=f"true UWE_{k}")
    ax.set(xlabel="p(error)", ylabel="products", title=f"{title}: p(error) per true class")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths["p_error_histograms"] = out_dir / "p_error_histograms.png"
    fig.savefig(paths["p_error_histograms"], dpi=110)
    plt.close(fig)

    if importances:
        items = sorted(importances.items(), key=lambda kv: kv[1])[-15:]
        fig, ax = plt.subplots(figsize=(5, 4.2))
        ax.barh([k for k, _ in items], [v for _, v in items])
        ax.set(xlabel="mean decrease in impurity", title=f"{title}: feature importances")
        fig.tight_layout()
        paths["feature_importances"] = out_dir / "feature_importances.png"
        fig.savefig(paths["feature_importances"], dpi=110, bbox_inches="tight")  # long names: keep the title whole
        plt.close(fig)
    return paths


def summary_row(name: str, m: dict[str, Any]) -> str:
    """One Markdown table row of the main test metrics."""
    return (f"| {name} | {m['test_precision_uwe2']:.3f} | {m['test_recall_uwe2']:.3f} | {m['test_f1_uwe2']:.3f} | "
            + " | ".join(f"{100 * m[f'test_accuracy_uwe{k}']:.0f} %" for k in range(4))
            + f" | {m['test_roc_auc_uwe2']:.3f} |")
