"""The promotion rule (pges.train.tracking.decide) on fake candidates: held-out rank AND the real check.

Each case is a small table whose right answer follows from the rule as docs/qa.md states it; no MLflow.
"""

from __future__ import annotations

from pges.train.tracking import Candidate, decide


def _cand(version: str, f1: float, share: float | None, name: str = "m") -> Candidate:
    metrics = {"test_f1_uwe2": f1, **{f"test_accuracy_uwe{k}": 0.7 for k in range(4)}}
    if share is not None:
        metrics["real_false_alarm_share"] = share
    return Candidate(f"{name}{version}", f"run{version}", version, metrics)


def _champ(f1: float, share: float | None) -> dict[str, float]:
    return _cand("0", f1, share).metrics


def test_a_candidate_better_on_held_out_but_with_real_false_alarms_above_the_limit_is_not_promoted():
    best, safe = _cand("5", 0.90, 0.69), _cand("6", 0.85, 0.08)
    d = decide([best, safe], _champ(0.80, 0.15), "4", max_real_false_alarms=0.25)
    assert d["champion"] == "6"  # the best that passes both
    assert d["best_version"] == "5" and "real false-alarm share 0.69 > limit 0.25" in d["held_back"]["5"]
    assert "beats version 4" in d["reason"] and "0.08 <= 0.25" in d["reason"]
    assert d["challenger"] == "4"  # the old champion passes the check; the held-back candidate does not


def test_without_a_passing_candidate_that_beats_it_the_champion_stays():
    d = decide([_cand("5", 0.90, 0.40), _cand("6", 0.75, 0.0)], _champ(0.80, 0.10), "4", max_real_false_alarms=0.25)
    assert d["champion"] == "4" and "stays" in d["reason"] and d["gate"] == "passed"  # v6 passed, but is worse
    assert "does not beat version 4" in d["held_back"]["6"] and "0.40 > limit" in d["held_back"]["5"]
    assert d["challenger"] == "6"


def test_a_champion_that_fails_the_real_check_is_not_defended_on_the_held_out_split():
    d = decide([_cand("5", 0.78, 0.10)], _champ(0.88, 0.69), "4", max_real_false_alarms=0.25)
    assert d["champion"] == "5" and "fails the real check" in d["reason"]
    assert d["challenger"] == "4"


def test_with_no_champion_and_no_passing_candidate_the_fewest_false_alarms_win_and_the_gate_says_so():
    d = decide([_cand("1", 0.90, 0.69), _cand("2", 0.80, 0.31), _cand("3", 0.70, 0.31)], None, None,
               max_real_false_alarms=0.25)
    assert d["champion"] == "2" and d["gate"] == "none passed"  # 0.31 twice: the better held-out rank
    assert set(d["held_back"]) == {"1", "3"}


def test_without_a_real_check_the_best_on_held_out_wins_as_before():
    d = decide([_cand("5", 0.90, None), _cand("6", 0.85, None)], _champ(0.80, None), "4")
    assert d["champion"] == "5" and d["challenger"] == "6" and d["gate"] == "passed"
    d = decide([_cand("5", 0.79, None)], _champ(0.80, None), "4")
    assert d["champion"] == "4" and d["challenger"] == "5"


def test_when_no_candidate_passes_the_champion_stays_and_the_gate_says_none_passed():
    d = decide([_cand("5", 0.90, 0.60)], _champ(0.80, 0.50), "4", max_real_false_alarms=0.25)
    assert d["champion"] == "4" and d["gate"] == "none passed" and "0.60 > limit" in d["held_back"]["5"]


def test_a_quick_runs_candidates_never_replace_a_full_runs_champion_however_they_rank():
    """A smoke run (20 scenes, few epochs) beat the production champion on its own tiny split and took the alias;
    the qa DAG then scored the lake with it. Against a full run's champion it moves no alias."""
    better = [_cand("7", 0.99, 0.0), _cand("8", 0.98, 0.0)]
    d = decide(better, _champ(0.80, 0.0), "4", max_real_false_alarms=0.25, smoke_over_full=True)
    assert d["champion"] == "4" and d["challenger"] is None
    assert "a quick run never replaces the champion of a full run" in d["reason"]
    assert set(d["held_back"]) == {"7", "8"}
    # with no champion yet (a fresh registry, the demo) a quick run still provides one
    assert decide(better, None, None, smoke_over_full=True)["champion"] == "7"
    # and a quick run against a quick run's champion is judged as before
    assert decide(better, _champ(0.80, 0.0), "4", max_real_false_alarms=0.25)["champion"] == "7"


def test_a_candidate_that_ties_with_the_winner_is_said_to_tie_not_to_rank_below():
    """A 12-scene quick run: the forest and the ConvNet averaged with it had the same F1 and mean class accuracy
    on the held-out split; the average was held back as "ranked below version 1", its figures those of the winner."""
    forest, average, convnet = _cand("1", 0.923, 0.0), _cand("3", 0.923, 0.0), _cand("2", 0.75, 0.0)
    d = decide([forest, convnet, average], None, None, max_real_false_alarms=0.25)
    assert d["champion"] == "1" and d["challenger"] == "3"  # the tie goes to the one registered first
    assert d["held_back"]["3"].startswith("m3: tied with version 1 (F1 0.923")
    assert d["held_back"]["2"].startswith("m2: ranked below version 1 (F1 0.750")
