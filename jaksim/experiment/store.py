"""Results store of a sweep: a directory of per-chunk netCDF files, a manifest and a
readouts CSV.

Layout::

    OUT/manifest.json         config hash, chunk ranges, finished chunks, attributes, seeds
    OUT/chunks/chunk_00000.nc time courses, readouts, status, message of members 0..k-1
    OUT/chunks/chunk_00000.csv the same chunk's readouts, one row per member
    OUT/readouts.csv          all chunks' readouts, written when the sweep finishes

Each chunk file is written to a temporary name and moved into place with ``os.replace``
(atomic on POSIX), then the manifest is rewritten the same way; an interrupted run therefore
leaves only finished chunks listed, and ``resume`` recomputes exactly the others. Nothing ever
holds more than one chunk in memory: :func:`open_results` opens the chunk files lazily
(``xarray.open_mfdataset``) and the CSV is concatenated line by line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..analysis.grid import as_grid
from ..spec.errors import ConfigError
from .tasks import ChunkResult

__all__ = ["ResultStore", "open_results", "read_readouts", "as_grid", "config_hash"]

MANIFEST = "manifest.json"
# netCDF4 (the C library, shipped in its wheels) writes a chunk about 5x faster than h5netcdf,
# whose per-variable Python cost was most of the runner's overhead (benchmarks/bench_sweep.py).
ENGINE = "netcdf4"


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


class ResultStore:
    """Writer of one sweep's results directory.

    Parameters
    ----------
    out : Path
        The results directory (created).
    manifest : dict
        Run description: ``config_hash``, ``n_members``, ``chunks`` (list of [start, stop]),
        ``attrs`` (netCDF attributes of every chunk file), ``time``, ``observables``,
        ``readouts``, ``axes``.
    resume : bool
        Continue a store with the same config hash (finished chunks are kept); otherwise any
        previous store in ``out`` is replaced.

    Raises
    ------
    ConfigError
        ``resume`` with a store made from a different config.
    """

    def __init__(self, out: Path, manifest: dict[str, Any], *, resume: bool):
        self.out = Path(out)
        self.chunk_dir = self.out / "chunks"
        path = self.out / MANIFEST
        if resume and path.is_file():
            old = json.loads(path.read_text())
            if old["config_hash"] != manifest["config_hash"] or old["chunks"] != manifest["chunks"]:
                raise ConfigError(
                    "the experiment file changed since the interrupted run; run without "
                    "--resume to start over",
                    file=str(path),
                )
            manifest["done"] = old["done"]
            manifest["attrs"] = old["attrs"]  # e.g. 'created': the files stay alike
        else:
            for stale in (self.chunk_dir, self.out / "readouts.csv", path):
                if stale.is_dir():
                    shutil.rmtree(stale)
                elif stale.exists():
                    stale.unlink()
            manifest["done"] = []
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.chunk_dir.glob("*.tmp-*"):  # left by a killed writer
            tmp.unlink()
        manifest["complete"] = False
        self.manifest = manifest
        self._save_manifest()

    @property
    def done(self) -> set[int]:
        return set(self.manifest["done"])

    def _save_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=1)
        _atomic_write(self.out / MANIFEST, lambda p: p.write_text(text))

    def write_chunk(self, result: ChunkResult, columns: dict[str, np.ndarray]) -> None:
        """Store one finished chunk (``columns``: its members' swept values)."""
        m = self.manifest
        members = np.arange(result.start, result.stop)
        coords: dict[str, Any] = {
            "member": members,
            "time": np.asarray(m["time"]),
            "observable": list(m["observables"]),
            "readout": list(m["readouts"]),
        }
        coords.update({k: ("member", np.asarray(v)) for k, v in columns.items()})
        ds = xr.Dataset(
            {
                "timecourse": (("member", "time", "observable"), result.values),
                "readouts": (("member", "readout"), result.readouts),
                "status": ("member", result.status.astype(np.int32)),
                "message": ("member", np.asarray(result.messages, dtype=str)),
            },
            coords=coords,
            attrs=m["attrs"],
        )
        stem = f"chunk_{result.index:05d}"
        _atomic_write(self.chunk_dir / f"{stem}.nc", lambda p: ds.to_netcdf(p, engine=ENGINE))
        table = readout_table(ds)
        # 12 significant digits keep the CSV quick to write; the .nc files hold full precision
        _atomic_write(
            self.chunk_dir / f"{stem}.csv",
            lambda p: table.to_csv(p, index=False, float_format="%.12g"),
        )
        m["done"] = sorted(self.done | {result.index})
        self._save_manifest()

    def finalize(self) -> Path:
        """Concatenate the chunk CSVs into ``readouts.csv`` and mark the store complete."""
        target = self.out / "readouts.csv"

        def write(tmp: Path) -> None:
            with open(tmp, "w") as dst:
                for i in range(len(self.manifest["chunks"])):
                    with open(self.chunk_dir / f"chunk_{i:05d}.csv") as src:
                        header = src.readline()
                        if i == 0:
                            dst.write(header)
                        shutil.copyfileobj(src, dst)

        _atomic_write(target, write)
        self.manifest["complete"] = True
        self._save_manifest()
        return self.out


def readout_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per member (an observation) and one column per variable: ``member``, the swept
    values, ``status``, ``message`` and every readout (``"pSTAT3_total:peak"``, ...)."""
    axes = [k for k, c in ds.coords.items() if c.dims == ("member",) and k != "member"]
    frame = {"member": ds["member"].values}
    frame.update({k: ds[k].values for k in axes})
    frame["status"] = ds["status"].values
    frame["message"] = ds["message"].values
    values = ds["readouts"].values
    frame.update({str(r): values[:, j] for j, r in enumerate(ds["readout"].values)})
    return pd.DataFrame(frame)


def open_results(path: str | Path) -> xr.Dataset:
    """Open a results directory lazily (dask-backed; nothing is read until used).

    Raises
    ------
    ConfigError
        Not a results directory.
    """
    path = Path(path)
    manifest = path / MANIFEST
    if not manifest.is_file():
        raise ConfigError("not a jaksim results directory (no manifest.json)", file=str(path))
    info = json.loads(manifest.read_text())
    files = [path / "chunks" / f"chunk_{i:05d}.nc" for i in sorted(info["done"])]
    if not files:
        raise ConfigError("no finished chunks yet", file=str(path))
    ds = xr.open_mfdataset(
        files,
        engine=ENGINE,
        combine="nested",
        concat_dim="member",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        combine_attrs="override",
        parallel=False,
    )
    ds.attrs["complete"] = int(info["complete"])
    return ds


def read_readouts(path: str | Path) -> pd.DataFrame:
    """The readouts table of a finished results directory (see :func:`readout_table`)."""
    return pd.read_csv(Path(path) / "readouts.csv")
