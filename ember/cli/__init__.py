"""The `ember` command line (also `python -m ember`)."""

from .main import main

__all__ = ["main"]
