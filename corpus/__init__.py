"""newsclean's library: one module per pipeline stage.

read → extract → clean → language → dedup → write, each taking and yielding
:class:`corpus.document.Document` records.
"""

__version__ = "0.1.0"
