"""Entry point for `python -m narrate`."""

from .cli import main

main()
