"""`python -m mlexp ...` is the `mlexp` command."""
import sys

from mlexp.app.cli import main

sys.exit(main())
