from __future__ import annotations


def test_product_quality_shows_the_latest_prediction_the_consensus_and_the_default_version(settings):
    from lake.catalog import init_lake
    from lake.query import connect
    from lake.write import upsert

    init_lake(settings)
    t = "2024-01-01T00:00:00Z"
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "start_time": t, "p_error": pe}
                        for p, pe in (("A", 0.9), ("A2", 0.1), ("B", 0.2))], settings)
    upsert("qa_predictions", [
        {"product_id": "A", "model_name": "m", "model_version": "1", "p_error": 0.7, "uwe_class": 2,
         "predicted_at": "2024-02-01T00:00:00Z"},
        {"product_id": "A", "model_name": "m", "model_version": "2", "p_error": 0.9, "uwe_class": 3,
         "predicted_at": "2024-03-01T00:00:00Z"},
        {"product_id": "B", "model_name": "m", "model_version": "2", "p_error": 0.2, "uwe_class": 0,
         "predicted_at": "2024-03-01T00:00:00Z"},
    ], settings)
    upsert("tag_consensus", [{"product_id": "A", "tag_type": "UWE", "intensity": 3, "raters": 3, "agreement": 1.0},
                             {"product_id": "A", "tag_type": "TNT", "intensity": 1, "raters": 3, "agreement": 1.0}],
           settings)
    upsert("product_lineage", [{"product_id": "A", "original_id": "A", "is_default": False},
                               {"product_id": "A2", "original_id": "A", "is_default": True}], settings)
    rows = connect(settings).sql("SELECT product_id, model_version, predicted_uwe, uwe_consensus, original_id, "
                                 "is_default FROM product_quality ORDER BY product_id").fetchall()
    assert rows == [("A", "2", 3, 3, "A", False), ("A2", None, None, None, "A", True), ("B", "2", 0, None, "B", True)]
