"""Which objects of a prefix ``--pair`` downloads: names from the processors' own layouts (pges.unwrap.pair_keys)."""

from __future__ import annotations

from pges.unwrap.pair_keys import keeps, pair_in


def test_a_pair_is_read_from_the_names_processors_give_and_nothing_else_is_taken_for_one():
    assert pair_in("stack/geo_060619-061002.int") == {"20060619", "20061002"}  # ROI_PAC, two-digit years
    assert pair_in("stack/geo_060619-061002.int.rsc") == {"20060619", "20061002"}
    assert pair_in("merged/interferograms/20240127_20240220/filt_fine.int.xml") == {"20240127", "20240220"}  # ISCE2
    gunw = "S1-GUNW-A-R-044-tops-20240220_20240127-050000-01444E_04081N-PP-90a1-v3_0_1.nc"  # ARIA: 050000 a time
    assert pair_in(gunw) == {"20240127", "20240220"}
    assert pair_in("mintpy/inputs/ifgramStack.h5") is None
    assert pair_in("reference/20240127.xml") is None  # one date: a stack's, not a pair's
    assert pair_in("baselines/20240127/20240127.txt") is None
    assert pair_in("intf/2024027_2024051/phasefilt.grd") is None  # GMTSAR's day of year: not read, so kept
    assert pair_in("run_123456_999999/x.int") is None  # not dates


def test_the_objects_of_other_pairs_are_left_and_stacks_and_headers_kept():
    keep = keeps(["20061002_20060619"])
    assert keep("stack/geo_060619-061002.int") and keep("stack/geo_060619-061002.int.rsc")
    assert not keep("stack/geo_060828-061211.int")
    assert keep("stack/run.rsc") and keep("mintpy/ifgramStack_20060619_20061211.h5")  # a span in a stack's name


def test_a_date_span_in_the_prefix_itself_chooses_nothing(tmp_path):
    """The prefix's own folders (a run named after its span) name no pair: only the keys under it are judged."""
    from pges.ingest.prefixes import Downloaded

    seen: list[str] = []
    downloaded = Downloaded(tmp_path, keep=lambda key: seen.append(key) or True)
    downloaded._list = lambda *a, **k: [("run_20240101_20240301/run.rsc", 10)]  # type: ignore[method-assign]
    downloaded._get_tree = lambda *a, **k: None  # type: ignore[method-assign]
    downloaded.download("s3://bucket/run_20240101_20240301/")
    assert seen == ["run.rsc"]
