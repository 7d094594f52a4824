"""Fuzz tests: renderers and the xfer parser under random and structured input."""
