"""Command line: click commands, one module per command group, over the library's public functions."""

from .main import cli, main

__all__ = ["cli", "main"]
