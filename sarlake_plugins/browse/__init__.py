"""The sarlake browse UI: faceted search, product pages, crowd tagging and a map, inside the Airflow UI.

A FastAPI app (:mod:`.app`) mounted by ``plugins/sarlake_plugin.py`` at ``/sarlake/browse``, behind Airflow's
auth manager. Modules: :mod:`.filters` (the validated query a page asks for), :mod:`.search` (facets and
results in SQL with bound parameters), :mod:`.products` (one product: files, layers, provenance, QA),
:mod:`.geo` (regions and outlines for the map), ``static/`` (the page: plain HTML and JavaScript).
"""
