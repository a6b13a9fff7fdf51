"""Stage 6, outputs: records as JSON Lines (plain, .gz, .zst), Parquet or a partitioned folder, written
atomically, and the run manifest.
"""
