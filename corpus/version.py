"""newsclean's version, low enough that every stage can name it (manifests, run fingerprints)."""

__version__ = "0.1.0"
