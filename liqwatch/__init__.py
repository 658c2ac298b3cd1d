"""liqwatch: an open-source liquidation tracker for crypto derivatives."""

__version__ = "0.1.0"
