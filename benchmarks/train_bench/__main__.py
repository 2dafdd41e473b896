"""`python -m benchmarks.train_bench`: see `benchmarks.train_bench.cli`."""
from .cli import main

raise SystemExit(main())
