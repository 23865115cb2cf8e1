"""``sarlake qa``: score products (files or the lake) with the champion model, train, report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pges.train.config import MODEL_NAMES, DatasetParameters
from sarlake.cli.errors import ErrorHandlingGroup
from sarlake.cli.params import LOS_SIGN, FiniteFloatRange

if TYPE_CHECKING:
    from pges.readers.los_sign import LosSign

__all__ = ["qa"]


@click.group(cls=ErrorHandlingGroup)
def qa() -> None:
    """QA: p(error|I) of interferograms, training and the quality report."""


def _manifest(path: str) -> tuple[dict[tuple[int, int], tuple[str, str | None, str | None]], str]:
    """The manifest's rows as ``(unw, coherence, dem)`` by their lines in the file, paths relative to its folder.

    Also a hint, '' or what to say when relative paths that are not in the manifest's folder are found from the
    current one (the manifest written for the shell it was made in).

    A row's lines are ``(first, last)``: a quoted field may hold line breaks, and a row is named where it starts
    (the csv reader's own line number is where it ends); the blank lines it skips are counted. An empty unw
    stays ''.
    """
    from lake.csv_text import csv_rows

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")  # a byte-order mark, as spreadsheets save CSV, is not a column
    except OSError as exc:
        raise click.BadParameter(f"cannot read manifest {p}: {exc.strerror or exc}",
                                 param_hint="'--manifest'") from exc
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"manifest {p} is not a UTF-8 CSV text file", param_hint="'--manifest'") from exc
    header, found = csv_rows(text)  # lines as the file has them (no form feed breaks)
    if "unw" not in header:
        raise click.BadParameter(f"manifest {p} needs a header line naming the columns unw, coherence, dem; its "
                                 f"first line is {text.splitlines()[0][:80]!r}" if text.strip() else
                                 f"manifest {p} is empty", param_hint="'--manifest'")
    rows = {}
    for lines, fields in found:
        if len(fields) > len(header):
            raise click.BadParameter(
                f"manifest {p} {_where(lines)} has {len(fields)} fields, more than the {len(header)} columns of "
                f"its header ({', '.join(header)}); quote a path that holds a comma", param_hint="'--manifest'")
        rows[lines] = dict(zip(header, fields, strict=False))
    if not rows:
        raise click.BadParameter(f"manifest {p} lists no product under its header", param_hint="'--manifest'")
    base = p.parent
    from_here: list[str] = []

    def resolve(value: str | None) -> str | None:
        value = (value or "").strip()
        if not value or "://" in value or Path(value).is_absolute():  # s3://bucket/key is no path to resolve
            return value or None
        if not (base / value).exists() and Path(value).exists() and base.resolve() != Path.cwd():
            from_here.append(value)
        return str(base / value)

    resolved = {lines: (resolve(r.get("unw")) or "", resolve(r.get("coherence")), resolve(r.get("dem")))
                for lines, r in rows.items()}
    verb = "is" if len(from_here) == 1 else "are"
    hint = (f"; relative paths are read from the manifest's folder {base}, and {len(from_here)} of them (such as "
            f"{from_here[0]}) {verb} found from the current folder instead: write them from {base}, or absolute"
            if from_here else "")
    return resolved, hint


def _span(lines: tuple[int, int]) -> str:
    """``4``, or ``4-6`` for a row whose quoted field spans lines."""
    first, last = lines
    return str(first) if first == last else f"{first}-{last}"


def _where(lines: tuple[int, int]) -> str:
    """``line 4``, or ``lines 4-6``."""
    return f"line{'s' if lines[0] != lines[1] else ''} {_span(lines)}"


@qa.command("score")
@click.argument("unw", required=False, type=click.Path(dir_okay=False))
@click.option("--coherence", type=click.Path(dir_okay=False),
              help="Coherence on the same grid (GeoTIFF or GAMMA). Default: the one beside UNW, found as ingest "
                   "finds it (HyP3's _corr.tif beside its _unw_phase.tif, a .cor beside a .unw, or one named with its "
                   "dates).")
@click.option("--dem", type=click.Path(dir_okay=False), help="DEM heights on the same grid (GeoTIFF).")
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="CSV with columns unw,coherence,dem (relative paths from the CSV's folder): score many. A row whose "
                   "files cannot be read is reported on stderr by its line and skipped; the exit code is then 2.")
@LOS_SIGN
@click.option("--json", "as_json", is_flag=True, help="One JSON line per product.")
def qa_score(unw: str | None, coherence: str | None, dem: str | None, manifest: str | None,
             los_sign: LosSign | None, as_json: bool) -> None:
    """Score UNW (GeoTIFF in radians, ROI_PAC .unw + .rsc, or any format ingest reads) with the champion, no lake.

    A GeoTIFF in mm, cm or m (tags DATA_UNITS and WAVELENGTH) is turned into radians, as ingest does. An ARIA
    S1-GUNW, a SNAP .dim or an ISCE2 product brings its own coherence; a MintPy stack gives a line per pair. Any
    file, here or in the manifest, may be an s3:// object: it is downloaded with its headers, as ingest does.
    """
    from pges.errors import InputValidationError
    from sarlake.workflows.qa import score_files

    if bool(unw) == bool(manifest):
        raise click.UsageError("give either UNW or --manifest FILE.csv")
    rows, hint = _manifest(manifest) if manifest else ({(0, 0): (unw or "", coherence, dem)}, "")
    items, lines = list(rows.values()), list(rows)
    skipped: list[tuple[int, int]] = []

    def skip(index: int, exc: Exception) -> None:
        click.echo(f"error: {manifest} {_where(lines[index])}: {exc}", err=True)
        skipped.append(lines[index])

    for r in score_files(items, on_error=skip if manifest else None, los_sign=los_sign):
        if as_json:
            click.echo(json.dumps(r))
        else:
            flag = f"  (degraded: no {', '.join(r['missing_inputs'])})" if r["degraded"] else ""
            if r.get("coherence_found"):
                flag += f"  (coherence found beside it: {r['coherence_found']})"
            for name, why in (r.get("ignored_reasons") or {}).items():
                how = "found" if name == "coherence" and r.get("coherence_found") else "given"
                flag += f"  ({name} {how} but ignored: {why})"
            click.echo(f"{r['unw']}: p(error) {r['p_error']:.3f}, UWE_{r['uwe_class']} "
                       f"[{r['model_name']} v{r['model_version']}]{flag}")
    if skipped:
        others = "the others were scored" if len(skipped) < len(items) else "none was scored"
        raise InputValidationError(
            f"{len(skipped)} of {len(items)} products in {manifest} not scored (lines "
            f"{', '.join(map(_span, skipped))}, errors above); {others}: fix those lines and score them again{hint}")


@qa.command("run")
@click.option("--product", "products", multiple=True,
              help="Product id; repeatable (default: every one the champion has not scored, except archived products "
                   "that have a prediction already).")
def qa_run(products: tuple[str, ...]) -> None:
    """Score catalogued interferograms into qa_features, qa_predictions and products.p_error."""
    from pges.errors import InputValidationError
    from sarlake.workflows.qa import score_products

    failed: list[str] = []

    def skip(product_id: str, exc: Exception) -> None:
        click.echo(f"error: {product_id}: {exc}", err=True)
        failed.append(product_id)

    records = score_products(list(products) or None, on_error=skip)
    for r in records:
        click.echo(f"{r['product_id']}  p(error) {r['p_error']:.3f}  UWE_{r['uwe_class']}  "
                   f"v{r['model_version']}{'  degraded' if r['degraded'] else ''}")
    click.echo(f"{len(records)} product(s) scored", err=True)
    if failed:
        raise InputValidationError(f"{len(failed)} product(s) not scored, their files cannot be read (errors above): "
                                   f"{', '.join(failed[:5])}{' ...' if len(failed) > 5 else ''}")


@qa.command("train")
@click.option("--scenes", type=click.IntRange(2, 5000), default=DatasetParameters.model_fields["scenes"].default,
              show_default=True,
              help="Simulated scenes in the labelled set (~5 products each).")
@click.option("--first-scene", type=click.IntRange(0), default=0, show_default=True, help="Seed of the first scene.")
@click.option("--model", "models", multiple=True,
              type=click.Choice(list(MODEL_NAMES)),
              help="Models to fit (default: all six); with convnet, its average with each feature model and with "
                   "unet_ordinal_boosting is registered too.")
@click.option("--quick", is_flag=True, help="Fewer trees and epochs (demo); never replaces the champion of a full run.")
@click.option("--if-no-champion", is_flag=True, help="Do nothing when the registry already has a champion.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes simulating the labelled set, the second simulator's products, the fresh scenes "
                   "and the U-Net's scenes.")
@click.option("--real-check", type=click.Path(exists=True, dir_okay=False),
              help="Manifest CSV of real products with closure truth (unw, coherence, dem, clean) that gates "
                   "promotion [default: the SARLAKE_QA_REAL_CHECK setting; none: no gate].")
@click.option("--max-real-false-alarms", type=FiniteFloatRange(0, 1),
              help="Largest share of the real check's clean products a champion may flag "
                   "[default: SARLAKE_QA_MAX_REAL_FALSE_ALARMS, 0.25].")
@click.option("--class-thresholds/--no-class-thresholds", default=None,
              help="Fit each feature model's class thresholds (UWE_1 over UWE_0, UWE_3 over UWE_2) on out-of-fold "
                   "predictions; without: classes decided at p = 0.5 [default: the train PGE's, fitted].")
@click.option("--crowd-relabel/--no-crowd-relabel", default=None,
              help="Train on the crowd's tags and the products' features together (each product's rater "
                   "likelihood times an out-of-fold feature model's probabilities); without: the consensus as it is "
                   "[default: the train PGE's, relabelled].")
def qa_train(scenes: int, first_scene: int, models: tuple[str, ...], quick: bool, if_no_champion: bool,
             workers: int, real_check: str | None, max_real_false_alarms: float | None,
             class_thresholds: bool | None, crowd_relabel: bool | None) -> None:
    """Build a labelled set, tag it with the simulated crowd, train and register the models."""
    from sarlake.workflows.qa_train import has_champion, train_qa

    if if_no_champion and has_champion():
        click.echo("the registry has a champion already: nothing to train")
        return
    record = train_qa(scenes, first_scene=first_scene, models=list(models) or None, quick=quick, workers=workers,
                      real_check=real_check, max_real_false_alarms=max_real_false_alarms,
                      class_thresholds=class_thresholds, crowd_relabel=crowd_relabel)
    for c in record["candidates"]:
        m = c["metrics"]
        real = f"  real false alarms {m['real_false_alarm_share']:.2f}" if "real_false_alarm_share" in m else ""
        if "real_cuts_f1_uwe2" in m:
            real += f"  real cuts F1 {m['real_cuts_f1_uwe2']:.3f} ROC AUC {m['real_cuts_roc_auc_uwe2']:.3f}"
        if "second_sim_f1_uwe2" in m:
            real += f"  second simulator F1 {m['second_sim_f1_uwe2']:.3f} ROC AUC {m['second_sim_roc_auc_uwe2']:.3f}"
        if "fresh_f1_uwe2" in m:
            real += (f"  fresh scenes F1 {m['fresh_f1_uwe2']:.3f} ({m['fresh_f1_uwe2_low']:.3f}-"
                     f"{m['fresh_f1_uwe2_high']:.3f})")
        click.echo(f"{c['name']:<18} v{c['version']:<4} F1(UWE>=2) {m['test_f1_uwe2']:.3f}  per class "
                   + " ".join(f"{100 * m[f'test_accuracy_uwe{k}']:.0f}%" for k in range(4)) + real)
    click.echo(f"champion: v{record['promotion']['champion']} ({record['promotion']['reason']})")
    for m in record["promotion"].get("margins", []):
        click.echo("  " + _margin(m))
    for version, why in record["promotion"].get("held_back", {}).items():
        click.echo(f"held back: v{version} ({why})")
    click.echo(f"record: {record['folder']}/training.json", err=True)


@qa.command("report")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of tables.")
def qa_report(as_json: bool) -> None:
    """Per UWE class (tag consensus): count, mean p(error), accuracy; P/R/F1 per model version."""
    from sarlake.workflows.qa import quality_report
    from sarlake.workflows.qa_registry import registered_versions

    rep = quality_report()
    rep["registered"] = registered_versions()
    if as_json:
        click.echo(json.dumps(rep))
        return
    click.echo("| class | count | mean p(error) | accuracy |\n|---|---|---|---|")
    for c in rep["classes"]:
        mp = "-" if c["mean_p_error"] is None else f"{c['mean_p_error']:.3f}"
        acc = "-" if c["accuracy"] is None else f"{100 * c['accuracy']:.0f} %"
        click.echo(f"| UWE_{c['uwe']} | {c['count']} | {mp} | {acc} |")
    click.echo("\n| model version | products | precision | recall | F1 (UWE>=2) |\n|---|---|---|---|---|")
    for m in rep["models"]:
        p, rc, f1 = ("-" if m[k] is None else f"{m[k]:.3f}" for k in ("precision", "recall", "f1"))
        click.echo(f"| {m['model_version']} | {m['products']} | {p} | {rc} | {f1} |")
    click.echo(f"\n{rep['scored_products']} interferogram(s) with a p(error) in products")
    if not rep["models"]:
        click.echo("no product has both a UWE tag consensus and a prediction yet: tag scored products "
                   "(`sarlake tag add PRODUCT UWE_0 --user NAME`) to measure the models on your own data")
    _echo_registered(rep["registered"])


def _margin(m: dict[str, Any]) -> str:
    """A champion's lead over another version, paired over the held-out scenes (pges.train.champion.margins)."""
    return (f"ahead of v{m['versus']} ({m['role']}) on the held-out scenes by F1 {m['f1_uwe2_difference']:+.3f} "
            f"({m['f1_uwe2_difference_low']:+.3f} to {m['f1_uwe2_difference_high']:+.3f}), mean class accuracy "
            f"{100 * m['mean_class_accuracy_difference']:+.1f} points "
            f"({100 * m['mean_class_accuracy_difference_low']:+.1f} to "
            f"{100 * m['mean_class_accuracy_difference_high']:+.1f}); paired 95 % intervals")


def _echo_registered(versions: list[dict[str, Any]]) -> None:
    """The registry's versions with their held-out (simulated) figures and real check."""
    if not versions:
        click.echo("\nno QA model is registered yet: train one with `make train` (or `sarlake qa train`)")
        return

    def pct(v: float | None) -> str:
        return "-" if v is None or math.isnan(v) else f"{100 * v:.0f} %"

    def num(v: float | None) -> str:
        return "-" if v is None or math.isnan(v) else f"{v:.3f}"

    def span(v: dict[str, Any], key: str, percent: bool) -> str:
        """A figure with its 95 % interval (runs logged before the intervals show the figure alone)."""
        x, lo, hi = v[key], v.get(f"{key}_low"), v.get(f"{key}_high")
        if x is None or lo is None or hi is None or math.isnan(x) or math.isnan(lo) or math.isnan(hi):
            return pct(x) if percent else num(x)
        return f"{100 * x:.0f} % ({100 * lo:.0f}-{100 * hi:.0f})" if percent else f"{x:.3f} ({lo:.3f}-{hi:.3f})"

    click.echo("\nregistered versions, held-out simulated scenes vs truth (class right by cause: products whose "
               "error is an unwrapper's failure / a hidden island; real check: share of clean real interferograms "
               "flagged; real cuts: F1 and ROC AUC on those interferograms with a wrong cut pasted in, "
               "pges.train.realcuts; second simulator: F1 and ROC AUC on products made otherwise, "
               "pges.train.second_simulator; fresh scenes: F1 and mean class accuracy on scenes of the first "
               "simulator that no set uses, pges.train.fresh_check; "
               "class thresholds: UWE_1 over UWE_0 / UWE_3 over UWE_2, pges.qa.model_io.decide_class; in "
               "brackets the 95 % interval of a bootstrap over the scenes, pges.train.intervals)\n"
               "| version | model | aliases | precision | recall | F1 (UWE>=2) | UWE_0 | UWE_1 | UWE_2 | "
               "UWE_3 | mean class | ROC AUC | failures / hidden islands | real false alarms | real cuts F1 / "
               "ROC AUC | second simulator F1 / ROC AUC | fresh scenes F1 / mean class | class thresholds | "
               "held back |\n" + "|---" * 19 + "|")
    for v in versions:
        model = f"{v['model']} (quick run)" if v.get("quick") else v["model"]
        click.echo(f"| {v['version']} | {model} | {', '.join(v['aliases']) or '-'} | "
                   f"{num(v['test_precision_uwe2'])} | {num(v['test_recall_uwe2'])} | "
                   f"{span(v, 'test_f1_uwe2', False)} | "
                   + " | ".join(span(v, f"test_accuracy_uwe{k}", True) for k in range(4))
                   + f" | {span(v, 'test_mean_class_accuracy', True)}"
                   + f" | {num(v['test_roc_auc_uwe2'])} | {pct(v['test_cause_failure_class_accuracy'])} / "
                   f"{pct(v['test_cause_hidden_class_accuracy'])} | {num(v['real_false_alarm_share'])} | "
                   f"{num(v['real_cuts_f1_uwe2'])} / {num(v['real_cuts_roc_auc_uwe2'])} | "
                   f"{num(v['second_sim_f1_uwe2'])} / {num(v['second_sim_roc_auc_uwe2'])} | "
                   f"{span(v, 'fresh_f1_uwe2', False)} / {span(v, 'fresh_mean_class_accuracy', True)} | "
                   f"{v['class_thresholds'][0]:.2f} / {v['class_thresholds'][1]:.2f} | {v['held_back'] or '-'} |")
    for v in versions:
        if "champion" in v["aliases"]:
            for m in v["margins"]:
                click.echo(f"champion v{v['version']} {_margin(m)}")
