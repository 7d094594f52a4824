"""Pure formats: artifact names, blob framing, deltas and artifact text.

Nothing in this package does I/O or touches SQLite.
"""
