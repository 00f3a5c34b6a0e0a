"""Garbage collection tuned for an app whose keys must not wait.

Measured (benchmarks/RESULTS.md): with CPython's defaults, following a fast stream ran
some 18 full collections in 15 s, 2.5 s in all and up to 227 ms each, and a key pressed
meanwhile waited for them. Two changes, made by the claw command (not by tests, which
run many apps in one process and must not keep them alive):

- the objects that live as long as the app (modules, classes, the engine, the first
  frame's widgets) are collected once and then frozen out of the collector's sight
  (gc.freeze), so a full collection walks only what came after them;
- the youngest generation is collected every 10,000 allocations instead of every 700:
  a stream's short-lived objects die in fewer, still short, collections (≤ 6 ms
  measured), and fewer of them live long enough to reach the older generations.
  The oldest keeps its default (a full collection after 10 of the middle one): made
  rarer (100), the memory of 2,000 messages grew from 174 MB to 352 MB.

And none at all until then: from the start of the command until the engine has loaded
behind the first frame, the collector is off (``hold``). Starting Python, Textual and
the first frame ran some 130 collections, one of them full, ~55 ms of the ~450 ms to
the first frame; what they would free is the rare cyclic garbage of imports, which the
collection in ``settle`` frees instead.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 10, 10)


def hold() -> None:
    """No collections until ``settle``: for the start of the claw command."""
    gc.disable()


def tune() -> None:
    gc.set_threshold(*THRESHOLDS)


def settle() -> None:
    """Collect, then freeze what is left, and collect from now on. Call once what lives for the
    app's life has loaded: collecting first matters, or garbage of the moment would be frozen
    and never freed."""
    gc.collect()
    gc.freeze()
    gc.enable()
