"""sarlake's application layer: the ``sarlake`` CLI and the workflows that chain the lake and the PGEs.

``lake`` (tables, storage, queries) and ``pges`` (science executables) never import each other; this package
imports both. The Airflow task bodies in ``sarlake_plugins`` call the same workflows as the CLI.
"""

__all__: list[str] = []
