"""digest: a humanitarian early-warning digest for Lebanon and the region."""

__version__ = "0.1.0"
