"""Benchmarks comparing fossilpy with the real fossil binary (not part of the package)."""
