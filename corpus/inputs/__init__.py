"""Stage 1, inputs: finding files and objects, sniffing their kinds, reading one-document files, streaming
the records of WARC archives and crawler JSON Lines, path lists on stdin, URLs in object storage.
Everything becomes a :class:`corpus.inputs.files.RawInput` (or a reject, or a skip).
"""
