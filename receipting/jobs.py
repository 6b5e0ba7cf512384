"""A unit of background work run by `receipting worker`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of background work; `run` does one pass and returns how many things it did."""

    name: str
    run: Callable[[], int]
    # What the job does, in a few words, as `receipting worker --help` lists it.
    description: str = ""
