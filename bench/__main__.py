"""``python -m bench``: run every benchmark (see bench/run.py for the options)."""

from bench.run import main

main()
