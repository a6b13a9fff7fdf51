"""The wiring: a run's options, the per-document process (extract, clean, language, signature), the
executors that run it (a local process pool, or Dask), and the pipeline that decides and writes.
"""
