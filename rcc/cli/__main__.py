"""``python -m rcc.cli``: the same as the ``rcc`` command."""

from rcc.cli import main

main()
