"""Komandor Desktop: the desktop client of the Komandor messenger."""

__version__ = "0.1.0"
