"""Streams and batch size of an OpenVINO runtime, chosen by measuring them on this machine.

OpenVINO's THROUGHPUT hint picks its streams from the core count alone, and the server's batch
limit is one number for every runtime; which pair keeps the cores busiest depends on the CPU, the
graph and its precision. So when a server starts an OpenVINO runtime it times a few candidates
(1, 2 and the hint's own number of streams, up to the cores; batches of 1, 4, 8 up to the
server's limit) for a fraction of a second each in its own process, in PASSES rounds that take
every candidate in turn, keeps the one with the best median, and caches it
under the user's cache folder per CPU model and cores, runtime, model, OpenVINO version, hint and
batch limit, so later starts on the same machine reuse it without measuring. Set
RNBENCH_OPENVINO_STREAMS to skip it all (the streams are then yours and the batch limit the
server's), or RNBENCH_OPENVINO_HINT=LATENCY (one stream, as that hint means).

The timing is wall-clock. On a shared VM one 0.3 s run of a candidate varied by 30-50 % from the
next (int8 once chose batch 1 at 146 img/s over batch 4, which ran at 180-194 img/s in longer
runs), so each candidate is timed in every round and the rounds' median is compared: a slow spell
then costs each candidate one round, not one candidate its only one. A choice measured while
other work loads the machine is still as noisy as the machine was: delete `openvino-tuning.json`
in the cache folder to measure again.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rnbench.inference.cache import cache_dir
from rnbench.inference.openvino_runtime import STREAMS_ENV, OpenVinoRuntime, env_streams

BATCHES = (1, 4, 8)
"""Batch sizes tried (those up to the server's limit, and the limit itself)."""
STREAM_COUNTS = (1, 2)
"""Stream counts tried, with the throughput hint's own choice (those up to the cores)."""
PASSES = 3
"""Rounds over the candidates; each candidate's figure is the median of its rounds."""
BUDGET_S = 4.5
"""Seconds of timed inference shared by all candidates and rounds (compiling and warm-up come on
top; only the first start on a machine measures, later ones read the cache)."""
MOST_S_EACH = 0.3
"""Longest timed run of one candidate in one round."""
TIE = 0.02
"""Candidates within this fraction of the best throughput tie; the larger batch wins a tie, then
fewer streams. The batch is the batcher's limit, not a size every request waits for: a lightly
loaded server runs smaller batches whatever the limit, and a saturated one pays a fixed cost per
batch (gathering, answering, the cores idle between infer calls) that this timing does not see.
Served int8 on a 2-core AVX2 EPYC, 1 stream, 16 clients, 3 paired 15 s rounds: limit 8 served
38.9, 37.3, 40.0 img/s against limit 4's 35.5, 36.3, 34.4, where this timing had them 1.5 % apart."""
CACHE_FILE = "openvino-tuning.json"
"""The cache's file name in the cache folder."""
CACHE_VERSION = 3
"""Changes when what is cached, or how it is measured or chosen, changes; older entries are then
measured again (2: medians of PASSES rounds; 3: a tie goes to the larger batch)."""


@dataclass(frozen=True)
class Candidate:
    """One setting tried: streams of the compiled model, images per infer request."""

    streams: int
    batch: int

    @property
    def label(self) -> str:
        """`2x8`: 2 streams, batch 8."""
        return f"{self.streams}x{self.batch}"


@dataclass(frozen=True)
class Trial:
    """A candidate and the throughput it reached."""

    candidate: Candidate
    images_per_s: float


@dataclass(frozen=True)
class StreamChoice:
    """The streams and batch limit a server runs with, and how they were chosen."""

    streams: int | None
    """Streams to compile with (None: left to the performance hint)."""
    batch: int
    """The batcher's limit: most requests run together."""
    source: str
    """`measured`, `cached`, `RNBENCH_OPENVINO_STREAMS`, `LATENCY hint` or `only setting` (one
    core and no batching: nothing to choose)."""
    trials: tuple[Trial, ...] = ()
    """What was measured (also for a cached choice: the measurement it comes from)."""

    def describe(self) -> str:
        """`measured: 1x1 40.2, 1x4 51.0, 2x8 61.3 img/s` (or just the source)."""
        if not self.trials:
            return self.source
        figures = ", ".join(f"{t.candidate.label} {t.images_per_s:.1f}" for t in self.trials)
        return f"{self.source}: {figures} img/s (streams x batch)"


def candidates(max_batch: int, cores: int, hint_streams: int) -> tuple[Candidate, ...]:
    """Every pair of STREAM_COUNTS (+ the hint's streams, up to `cores`) and BATCHES (up to
    `max_batch`, + `max_batch`), fewest streams and smallest batch first."""
    streams = sorted({s for s in (*STREAM_COUNTS, hint_streams) if 1 <= s <= max(1, cores)})
    batches = sorted({b for b in BATCHES if b <= max_batch} | {max(1, max_batch)})
    return tuple(Candidate(s, b) for s in streams for b in batches)


def best(trials: Sequence[Trial], tie: float = TIE) -> Candidate:
    """The fastest candidate; among those within `tie` of it, the largest batch, then the
    fewest streams (see TIE). Raises ValueError for no trials."""
    if not trials:
        raise ValueError("no candidate was measured")
    top = max(t.images_per_s for t in trials)
    close = [t.candidate for t in trials if t.images_per_s >= top * (1.0 - tie)]
    return min(close, key=lambda c: (-c.batch, c.streams))


def measure(
    tried: Sequence[Candidate], throughput: Callable[[Candidate, float], float]
) -> StreamChoice:
    """Time each candidate with `throughput(candidate, seconds)` (img/s) once per round, in
    PASSES rounds; keep the best median."""
    seconds = min(MOST_S_EACH, BUDGET_S / max(1, len(tried) * PASSES))
    rounds = [[throughput(c, seconds) for c in tried] for _ in range(PASSES)]
    trials = tuple(Trial(c, statistics.median(r[n] for r in rounds)) for n, c in enumerate(tried))
    chosen = best(trials)
    return StreamChoice(chosen.streams, chosen.batch, "measured", trials)


def cache_key(
    runtime: OpenVinoRuntime, model_key: str, max_batch: int, cpu_model: str, cores: int
) -> str:
    """What the best setting depends on: CPU and cores, runtime, model, OpenVINO, hint, limit."""
    import openvino

    parts = (
        cpu_model, f"{cores} cores", runtime.name, runtime.precision, model_key,
        openvino.get_version(), runtime.hint, f"max batch {max_batch}",
    )  # fmt: skip
    return " | ".join(parts)


def cache_path() -> Path:
    """The cache file (its folder is created when missing)."""
    return cache_dir() / CACHE_FILE


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: measured again and rewritten
    return entries if isinstance(entries, dict) else {}


def cached(path: Path, key: str) -> StreamChoice | None:
    """The choice cached under `key` (None when absent, of another version, or malformed)."""
    entry = _read_cache(path).get(key)
    try:
        if not isinstance(entry, dict) or entry.get("version") != CACHE_VERSION:
            return None
        trials = tuple(
            Trial(Candidate(int(s), int(b)), float(ips)) for s, b, ips in entry["trials"]
        )
        return StreamChoice(int(entry["streams"]), int(entry["batch"]), "cached", trials)
    except (KeyError, TypeError, ValueError):
        return None


def save(path: Path, key: str, choice: StreamChoice) -> None:
    """Add `choice` under `key`, written atomically; a cache that cannot be written is skipped
    (the next start measures again)."""
    entries = _read_cache(path)
    entries[key] = {
        "version": CACHE_VERSION,
        "streams": choice.streams,
        "batch": choice.batch,
        "trials": [[t.candidate.streams, t.candidate.batch, t.images_per_s] for t in choice.trials],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(entries, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        return


def tune(
    runtime: OpenVinoRuntime,
    max_batch: int,
    model_key: str,
    throughput: Callable[[Candidate, float], float] | None = None,
) -> StreamChoice:
    """Choose streams and batch limit for `runtime` (see the module docstring) and apply the
    streams to it; returns the choice. `throughput` replaces the real timing (tests)."""
    from rnbench.inference.machine import cpu_facts

    if env_streams() is not None:
        return StreamChoice(runtime.streams, max_batch, STREAMS_ENV)
    if runtime.hint == "LATENCY":
        return StreamChoice(runtime.streams, max_batch, "LATENCY hint")
    cpu = cpu_facts()
    key = cache_key(runtime, model_key, max_batch, cpu.model, cpu.cores)
    path = cache_path()
    choice = cached(path, key)
    tried = candidates(max_batch, cpu.cores, runtime.streams)
    if len(tried) == 1:
        runtime.use_streams(tried[0].streams)
        return StreamChoice(tried[0].streams, tried[0].batch, "only setting")
    if choice is None or Candidate(choice.streams or 0, choice.batch) not in tried:
        timing = throughput or (lambda c, s: runtime.throughput(c.streams, c.batch, s))
        choice = measure(tried, timing)
        save(path, key, choice)
    assert choice.streams is not None
    runtime.use_streams(choice.streams)
    return choice
