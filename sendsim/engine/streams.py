"""Random streams: one root seed, one independent stream per activity.

Every draw in a run comes from a stream spawned from one `numpy.random.SeedSequence`, named after
the activity that uses it, so that changing how often one process draws does not shift the
numbers another process sees (the first step towards common random numbers across scenarios).
No global `random` or `np.random` state is touched anywhere in sendsim.

Draws are returned as Python floats: SimPy's event heap is about twice as slow with NumPy
scalars (engineering notes).
"""

from __future__ import annotations

import bisect
import math

import numpy as np

#: Activities with their own stream. Appending is safe; reordering changes every result.
ACTIVITIES: tuple[str, ...] = (
    "structural", "start_population", "sen_support", "requests", "decide_to_assess",
    "assessment", "placement", "reviews", "phase_transfer", "ceasing", "transfers_in",
    "mesa", "parameters", "intervention_effects", "capacity_programme", "interventions",
)

#: Activities that are structural or parameter uncertainty (drawn once per replication): they
#: follow the replication's seed even when process noise is switched off.
STRUCTURAL: frozenset[str] = frozenset(
    {"structural", "parameters", "intervention_effects", "capacity_programme"})


class Stream:
    """Buffered uniform draws from one generator, with the few distributions the pathway uses."""

    __slots__ = ("rng", "_buf", "_block")

    def __init__(self, seed_seq: np.random.SeedSequence, block: int = 4096):
        self.rng = np.random.Generator(np.random.PCG64(seed_seq))
        self._buf: list[float] = []
        self._block = block

    def u(self) -> float:
        """One Uniform[0, 1) draw (the hottest call in a run: a block is stored reversed, so
        that each draw is one list pop, in the generator's order)."""
        buf = self._buf
        if not buf:
            buf = self._buf = self.rng.random(self._block)[::-1].tolist()
        return buf.pop()

    def triangular(self, lo: float, mode: float, hi: float) -> float:
        """Inverse-CDF triangular draw (one uniform, so streams stay aligned)."""
        u = self.u()
        if hi <= lo:
            return lo
        c = (mode - lo) / (hi - lo)
        if u < c:
            return lo + math.sqrt(u * (hi - lo) * (mode - lo))
        return hi - math.sqrt((1 - u) * (hi - lo) * (hi - mode))

    def triangular_many(self, n: int, lo: float, mode: float, hi: float) -> np.ndarray:
        """`n` triangular draws at once: exactly what `n` calls of `triangular` would give."""
        u = self.block(n)
        if hi <= lo:
            return np.full(n, float(lo))
        c = (mode - lo) / (hi - lo)
        return np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                        hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.u())

    def choice(self, cumulative: list[float], names: tuple | list):
        """Pick from `names` with cumulative probabilities `cumulative` (last = 1)."""
        buf = self._buf
        u = buf.pop() if buf else self.u()
        i = bisect.bisect_right(cumulative, u * cumulative[-1])
        return names[min(i, len(names) - 1)]

    def index(self, n: int) -> int:
        """A uniform index in range(n)."""
        return min(int(self.u() * n), n - 1)

    def poisson(self, lam: float) -> int:
        return int(self.rng.poisson(lam)) if lam > 0 else 0

    def poisson_many(self, lams: list[float]) -> list[int]:
        """One Poisson count per rate, drawn together (before any uniform of the stream is
        used, so the counts do not depend on how many uniforms later draws take)."""
        return self.rng.poisson(np.maximum(np.asarray(lams, dtype=float), 0.0)).tolist()

    def binomial(self, n: int, p: float) -> int:
        return int(self.rng.binomial(n, p)) if n > 0 and p > 0 else 0

    def hypergeometric(self, good: int, bad: int, n: int) -> int:
        """Of `n` drawn without replacement from `good` + `bad`, how many are good."""
        return int(self.rng.hypergeometric(good, bad, n)) if good > 0 and n > 0 else 0

    def block(self, n: int) -> np.ndarray:
        """The next `n` uniforms, exactly those `n` calls of `u()` would give (a week's
        reviews take their draws at once)."""
        buf = self._buf
        if len(buf) >= n:
            out = buf[-n:] if n else []
            del buf[len(buf) - n:]
            return np.array(out[::-1], dtype=float)
        head = buf[::-1]
        need = n - len(head)
        blocks = -(-need // self._block)
        fresh = self.rng.random(blocks * self._block)
        self._buf = fresh[need:][::-1].tolist()
        return np.concatenate([np.array(head, dtype=float), fresh[:need]])

    def normal(self, mean: float, sd: float) -> float:
        return float(self.rng.normal(mean, sd)) if sd > 0 else float(mean)


class Streams:
    """The named streams of one replication.

    `process_seed`, if given, seeds the process-noise activities instead of `seed_seq` (every
    replication then shares one process history: process noise switched off)."""

    def __init__(self, seed_seq: np.random.SeedSequence,
                 process_seed: np.random.SeedSequence | None = None):
        children = children_of(seed_seq, len(ACTIVITIES))
        if process_seed is not None:
            process = children_of(process_seed, len(ACTIVITIES))
            children = [c if name in STRUCTURAL else pc
                        for name, c, pc in zip(ACTIVITIES, children, process)]
        self._seeds = dict(zip(ACTIVITIES, children))
        self._streams = {name: Stream(s) for name, s in self._seeds.items()}
        self.mesa_seed = int(children[ACTIVITIES.index("mesa")].generate_state(1)[0])

    def __getitem__(self, name: str) -> Stream:
        return self._streams[name]

    def monthly(self, name: str, month: int) -> Stream:
        """A fresh stream for one activity in one month. Month-keyed streams keep two scenarios'
        draws aligned from month to month even where one of them made more draws earlier
        (common random numbers)."""
        ss = self._seeds[name]
        return Stream(np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key + (1_000_000 + month,)),
                      block=1024)   # a month's requests need a few hundred draws


def children_of(seed_seq: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The first `n` children `seed_seq.spawn` would give, without spawning: `spawn` counts the
    children it has made, so a seed used twice (two scenarios, one process) would otherwise get
    different streams the second time."""
    return [np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + (i,),
                                   pool_size=seed_seq.pool_size) for i in range(n)]


def replication_seeds(root_seed: int, reps: int) -> list[np.random.SeedSequence]:
    """Seeds for replications 0..reps-1: the same whatever the number of workers."""
    return np.random.SeedSequence(root_seed).spawn(reps)


def choose(cumulative: list[float], u: np.ndarray) -> np.ndarray:
    """Indices `Stream.choice` would pick for each uniform in `u` (the array form)."""
    cum = np.asarray(cumulative, dtype=float)
    return np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1)


def cumulative(shares: dict) -> tuple[list[float], tuple]:
    """(cumulative probabilities, names) for `Stream.choice`, in the dict's order."""
    names = tuple(shares)
    cum, total = [], 0.0
    for n in names:
        total += shares[n]
        cum.append(total)
    return cum, names
