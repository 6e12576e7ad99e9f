"""``python -m bench``: run every (library, scenario, repetition) in a fresh process."""

from bench.runner import main

raise SystemExit(main())
