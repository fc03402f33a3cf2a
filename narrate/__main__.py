"""Entry point for `python -m narrate`."""

from .cli.main import main

main()
