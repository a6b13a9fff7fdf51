"""Stage 3, clean: the boilerplate rules (data, in ``rules/``), the per-document cleaner that applies
them, and the evidence learned from the corpus (lines repeated across stories and sites).
"""
