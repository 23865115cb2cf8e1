"""sarlake's lake library: Iceberg tables, upserts, DuckDB queries, AOIs, discovery, cataloguing."""
