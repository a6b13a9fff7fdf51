"""Stage 5, dedup: MinHash signatures, the band index that finds near-duplicates, the state of earlier
nights (SQLite or a Parquet folder), and the graph helpers dedup on a Dask cluster uses.
"""
