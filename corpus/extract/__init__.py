"""Stage 2, extract: an HTML page (or plain text) into a :class:`corpus.document.Document`: the story's
text through trafilatura (with cheaper twins of its XPaths), and the title, author and date.
"""
