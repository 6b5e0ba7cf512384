"""`python -m receipting.cli`, for where the `receipting` script is not on the PATH."""

from __future__ import annotations

from receipting.cli.root import main

main()
