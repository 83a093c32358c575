"""Sweep axes -> one table of members (one row per simulation).

Axes combine as a grid (product); axes sharing a ``group`` are zipped (equal lengths);
all sampled axes (ranges without ``points``) form one zipped block drawn by random, Latin
hypercube or Sobol' sampling, or by Saltelli's scheme for ``[sensitivity]``. Categorical axes
(drug, regimen) are put outermost so that members needing the same model are contiguous.
Values stay in the units the file gives; :mod:`jaksim.experiment.build` converts them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from ..spec.errors import ConfigError
from .config import Axis, ExperimentConfig

__all__ = ["SweepTable", "build_sweep", "check_size", "chunk_ranges", "plan_size", "unit_scale"]

#: Largest sweep that is planned: the member table alone (all axes, float64) is then a few
#: hundred MB, and larger studies are better split into several experiment files.
MAX_MEMBERS = 10_000_000
#: Most chunks per sweep: every chunk has a seed, a manifest entry and two files.
MAX_CHUNKS = 100_000
#: Most stored time points (each member's time course has this many rows per observable).
MAX_TIME_POINTS = 1_000_000
#: Longest dosing simulation (10 years); every dose is a protocol change.
MAX_DOSING_DAYS = 3650.0
#: A chunk's arrays (time courses of its members, with working copies) may use at most this
#: share of the machine's memory.
MEMORY_SHARE = 0.25
#: Copies of a chunk's time courses held at once (solver output, NaN-masked copy, netCDF write).
CHUNK_COPIES = 3


@dataclass(frozen=True)
class SweepTable:
    """Swept values of every member.

    Attributes
    ----------
    columns : dict[str, ndarray]
        Axis key -> values, shape (n_members,): float (in the axis' unit) or str.
    axes : tuple[Axis, ...]
        The axes, by key order of ``columns``.
    n : int
        Number of members (1 when there is no sweep).
    """

    columns: dict[str, np.ndarray]
    axes: tuple[Axis, ...]
    n: int

    def categories(self) -> np.ndarray:
        """Row label of the categorical columns, shape (n,); members with equal labels
        share a model."""
        keys = [a.key for a in self.axes if a.kind in ("drug", "regimen")]
        if not keys:
            return np.zeros(self.n, dtype=np.int64)
        rows = zip(*(self.columns[k] for k in keys), strict=True)
        return np.array(["\x1f".join(row) for row in rows])


def unit_scale(axis: Axis, u: np.ndarray) -> np.ndarray:
    """Map ``u`` in [0, 1] to the axis range on its linear or log scale."""
    if axis.scale == "log":
        lo, hi = np.log10(axis.low), np.log10(axis.high)
        return 10.0 ** (lo + u * (hi - lo))
    return axis.low + u * (axis.high - axis.low)


def _grid_values(axis: Axis) -> np.ndarray:
    if axis.values is not None:
        return np.asarray(axis.values, dtype=object if axis.kind in ("drug", "regimen") else float)
    return unit_scale(axis, np.linspace(0.0, 1.0, axis.points))


def _sample(axes: list[Axis], cfg: ExperimentConfig, seed: np.random.SeedSequence) -> np.ndarray:
    d = len(axes)
    rng = np.random.default_rng(seed)
    if cfg.sensitivity is not None:
        from ..analysis.sensitivity import saltelli_unit_sample

        return saltelli_unit_sample(
            d, cfg.sensitivity.samples, second_order=cfg.sensitivity.second_order, rng=rng
        )
    method, n = cfg.sweep.sampling.method, cfg.sweep.sampling.samples
    if method == "random":
        return rng.random((n, d))
    if method == "lhs":
        return qmc.LatinHypercube(d, seed=rng).random(n)
    # scrambled Sobol'; a count that is not a power of 2 loses balance, which scipy warns about
    return qmc.Sobol(d, scramble=True, seed=rng).random(n)


def build_sweep(cfg: ExperimentConfig, seed: np.random.SeedSequence, file: str = "") -> SweepTable:
    """Enumerate the members of ``cfg``'s sweep.

    Parameters
    ----------
    cfg : ExperimentConfig
    seed : numpy.random.SeedSequence
        Child seed for sampled axes.
    file : str
        For error messages.

    Returns
    -------
    SweepTable
    """
    if cfg.sweep is None:
        return SweepTable({}, (), 1)
    axes = cfg.sweep.axes
    blocks: list[tuple[list[Axis], list[np.ndarray]]] = []
    groups: dict[str, int] = {}
    for i, axis in enumerate(axes):
        if axis.sampled:
            continue
        values = _grid_values(axis)
        if axis.group is None:
            blocks.append(([axis], [values]))
            continue
        if axis.group in groups:
            block = blocks[groups[axis.group]]
            if len(block[1][0]) != len(values):
                raise ConfigError(
                    f"zipped axes in group {axis.group!r} need equal lengths: "
                    f"{block[0][0].key!r} has {len(block[1][0])}, {axis.key!r} has {len(values)}",
                    file=file,
                    field=f"sweep.axes[{i}]",
                )
            block[0].append(axis)
            block[1].append(values)
        else:
            groups[axis.group] = len(blocks)
            blocks.append(([axis], [values]))
    sampled = [a for a in axes if a.sampled]
    if sampled:
        u = _sample(sampled, cfg, seed)
        blocks.append((sampled, [unit_scale(a, u[:, j]) for j, a in enumerate(sampled)]))
    # categorical blocks outermost: members of one model are then contiguous
    blocks.sort(key=lambda b: not any(a.kind in ("drug", "regimen") for a in b[0]))
    sizes = [len(b[1][0]) for b in blocks]
    n = int(np.prod(sizes))
    index = np.unravel_index(np.arange(n), sizes)
    columns: dict[str, np.ndarray] = {}
    ordered: list[Axis] = []
    for (block_axes, values), idx in zip(blocks, index, strict=True):
        for axis, vals in zip(block_axes, values, strict=True):
            col = vals[idx]
            columns[axis.key] = col.astype(str) if col.dtype == object else col
            ordered.append(axis)
    return SweepTable(columns, tuple(ordered), n)


def chunk_ranges(table: SweepTable, chunk_size: int) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` member ranges of at most ``chunk_size`` that never mix
    categories (drugs, regimens)."""
    labels = table.categories()
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    bounds = [0, *change.tolist(), table.n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        out.extend((s, min(s + chunk_size, hi)) for s in range(lo, hi, chunk_size))
    return out


def plan_size(cfg: ExperimentConfig) -> int:
    """Number of members of ``cfg``'s sweep, counted without enumerating them (exact Python
    integer, no overflow). Zipped groups of unequal length are reported by
    :func:`build_sweep`; here the first axis of a group gives its length."""
    if cfg.sweep is None:
        return 1
    sizes: list[int] = []
    groups: set[str] = set()
    for axis in cfg.sweep.axes:
        if axis.sampled:
            continue
        if axis.group is not None:
            if axis.group in groups:
                continue
            groups.add(axis.group)
        sizes.append(len(axis.values) if axis.values is not None else int(axis.points))
    d = sum(axis.sampled for axis in cfg.sweep.axes)
    if d and cfg.sensitivity is not None:
        # Saltelli's scheme: N (d + 2) members, N (2 d + 2) with second-order indices
        sizes.append(cfg.sensitivity.samples * ((2 * d if cfg.sensitivity.second_order else d) + 2))
    elif d and cfg.sweep.sampling is not None:
        sizes.append(cfg.sweep.sampling.samples)
    return math.prod(sizes)


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not available on this platform
        return None


def check_size(cfg: ExperimentConfig, file: str = "") -> None:
    """Refuse a plan too large to build before any of it is allocated.

    Raises
    ------
    ConfigError
        More than :data:`MAX_MEMBERS` members, :data:`MAX_CHUNKS` chunks or
        :data:`MAX_TIME_POINTS` time points, dosing longer than :data:`MAX_DOSING_DAYS`, or a
        chunk whose time courses would need more than :data:`MEMORY_SHARE` of the memory.
    """
    n = plan_size(cfg)
    split = "split the study into several experiment files or use fewer points/samples"
    if n > MAX_MEMBERS:
        raise ConfigError(
            f"the sweep has {n:,} members, more than the {MAX_MEMBERS:,} that are planned at "
            f"once; {split}",
            file=file,
            field="sweep",
        )
    chunk = cfg.experiment.chunk_size
    n_chunks = -(-n // chunk)
    if n_chunks > MAX_CHUNKS:
        raise ConfigError(
            f"{n:,} members in chunks of {chunk:,} make {n_chunks:,} chunks, more than "
            f"{MAX_CHUNKS:,}; raise chunk_size",
            file=file,
            field="experiment.chunk_size",
        )
    t = cfg.time
    n_t = 0
    if t is not None:
        n_t = t.points if t.values is None else len(t.values) + 1
        if n_t > MAX_TIME_POINTS:
            raise ConfigError(
                f"{n_t:,} time points, more than {MAX_TIME_POINTS:,}",
                file=file,
                field="time.points" if t.values is None else "time.values",
            )
    drug = cfg.protocol.drug
    if drug is not None and drug.regimen is not None and drug.days > MAX_DOSING_DAYS:
        raise ConfigError(
            f"{drug.days:,.0f} days of dosing, more than {MAX_DOSING_DAYS:,.0f}",
            file=file,
            field="protocol.drug.days",
        )
    n_obs = max(1, len({r.observable for r in cfg.readouts} | set(cfg.experiment.observables)))
    need = min(chunk, n) * max(n_t, 1) * n_obs * 8 * CHUNK_COPIES
    memory = _memory_bytes()
    if memory is not None and need > MEMORY_SHARE * memory:
        raise ConfigError(
            f"one chunk of {min(chunk, n):,} members x {n_t:,} time points x {n_obs} "
            f"observable(s) needs about {need / 2**30:.1f} GiB, more than "
            f"{MEMORY_SHARE:.0%} of this machine's {memory / 2**30:.1f} GiB; lower chunk_size "
            "or the number of time points",
            file=file,
            field="experiment.chunk_size",
        )
