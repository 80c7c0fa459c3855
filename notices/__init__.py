"""notices: switch every customer channel to an emergency notice at once, and keep the evidence."""

__version__ = "0.1.0"
