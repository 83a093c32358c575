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
import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..analysis.grid import as_grid
from ..spec.errors import ConfigError, RunError
from .tasks import ChunkResult

__all__ = [
    "ResultStore",
    "open_results",
    "read_readouts",
    "as_grid",
    "config_hash",
    "file_hash",
    "store_state",
]

MANIFEST = "manifest.json"
LOCK = ".jaksim.lock"
# what a results folder may hold besides its manifest: a folder whose manifest is damaged is
# still recognised as a store (and may be replaced) only when it holds nothing else
STORE_ENTRIES = ("chunks", "readouts.csv", "sensitivity.csv", LOCK)
# netCDF4 (the C library, shipped in its wheels) writes a chunk about 5x faster than h5netcdf,
# whose per-variable Python cost was most of the runner's overhead (benchmarks/bench_sweep.py).
ENGINE = "netcdf4"
CHUNK_SUFFIXES = ("nc", "csv")


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def file_hash(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _atomic_write(path: Path, write) -> str:
    """Write ``path`` through a temporary file and ``os.replace``; return the sha256 of what
    was written (hashed before the move, so it is the content this process produced)."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    write(tmp)
    digest = file_hash(tmp) or ""
    os.replace(tmp, path)
    return digest


def _warn(message: str) -> None:
    print(f"jaksim: warning: {message}", file=sys.stderr)


def _read_manifest(path: Path) -> dict | None:
    """The manifest at ``path``, or None when it is missing or not a jaksim manifest."""
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(info, dict) or not {"config_hash", "chunks", "done"} <= info.keys():
        return None
    return info


def store_state(out: Path) -> str:
    """What ``out`` is: ``"absent"``, ``"empty"``, ``"store"`` (a readable jaksim manifest),
    ``"damaged"`` (an unreadable manifest among store files only) or ``"foreign"``."""
    if not out.exists():
        return "absent"
    if not out.is_dir():
        return "foreign"
    names = {p.name for p in out.iterdir()} - {LOCK}
    if not names:
        return "empty"
    if _read_manifest(out / MANIFEST) is not None:
        return "store"
    if MANIFEST in names and all(
        n in STORE_ENTRIES or n.startswith(f"{MANIFEST}.tmp-") for n in names - {MANIFEST}
    ):
        return "damaged"
    return "foreign"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


class StoreLock:
    """An exclusive lock on a results folder: ``OUT/.jaksim.lock`` created with ``O_EXCL``,
    holding the owner's pid and host.

    A lock left by a process that is no longer running on this host is taken over (with a
    message); a lock from another host cannot be checked and is always respected.

    Raises
    ------
    RunError
        Another live run holds the folder.
    """

    def __init__(self, out: Path):
        self.path = out / LOCK
        self.owner = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if not self._stale(holder):
                    self._refuse(out, holder)
                self._take_over(holder)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(self.owner, f)
            return
        self._refuse(out, self._holder())

    def _holder(self) -> dict | None:
        try:
            info = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) else None

    def _stale(self, holder: dict | None) -> bool:
        if holder is None:  # unreadable: possibly being written right now, so respected
            return False
        pid = holder.get("pid")
        return (
            holder.get("host") == self.owner["host"]
            and isinstance(pid, int)
            and not (_pid_alive(pid))
        )

    def _take_over(self, holder: dict) -> None:
        # Move the stale lock aside atomically and check what was moved: if another process
        # took it over in between, the moved lock is live and goes back.
        aside = self.path.with_name(f"{LOCK}.stale-{os.getpid()}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        try:
            moved = json.loads(aside.read_text())
        except (OSError, ValueError):
            moved = None
        if moved != holder:
            os.replace(aside, self.path)
            return
        aside.unlink(missing_ok=True)
        _warn(
            f"took over the lock of {self.path.parent}: process {holder['pid']} that held it "
            "is no longer running"
        )

    def _refuse(self, out: Path, holder: dict | None) -> None:
        who = (
            f"process {holder.get('pid')} on {holder.get('host')}"
            if holder is not None
            else "an unknown process"
        )
        raise RunError(
            f"another jaksim run ({who}) is writing to this results folder; wait for it to "
            f"finish or choose another --out (if that run is gone, delete {self.path})",
            file=str(out),
        )

    def release(self) -> None:
        """Remove the lock if it is still this process's."""
        if self._holder() == self.owner:
            self.path.unlink(missing_ok=True)


class ResultStore:
    """Writer of one sweep's results directory.

    Parameters
    ----------
    out : Path
        The results directory (created). A non-empty folder that is not a jaksim store is
        never deleted or written into.
    manifest : dict
        Run description: ``config_hash``, ``model_hash``, ``n_members``, ``chunks`` (list of
        [start, stop]), ``attrs`` (netCDF attributes of every chunk file), ``time``,
        ``observables``, ``readouts``.
    resume : bool
        Continue a store with the same config and model hashes: finished chunks whose files
        still match their recorded sha256 are kept, damaged or missing ones are recomputed.
        Otherwise any previous store in ``out`` is replaced.
    restart : bool
        With ``resume``: discard a store made from a changed config or model instead of
        refusing it.

    Raises
    ------
    ConfigError
        ``out`` is a non-empty folder without a jaksim manifest, or ``resume`` finds a store
        made from a different config or model (and not ``restart``).
    RunError
        Another run holds the store's lock.
    """

    def __init__(self, out: Path, manifest: dict[str, Any], *, resume: bool, restart: bool = False):
        self.out = Path(out)
        self.chunk_dir = self.out / "chunks"
        state = store_state(self.out)
        if state == "foreign":
            what = "is not a folder" if not self.out.is_dir() else "is not empty"
            raise ConfigError(
                f"{what} and holds no jaksim results (no valid {MANIFEST}); jaksim never "
                "deletes or writes into such a folder: choose another --out or "
                "[experiment] output",
                file=str(self.out),
            )
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock = StoreLock(self.out)
        try:
            self._open(manifest, state, resume=resume, restart=restart)
        except BaseException:
            self._lock.release()
            raise

    def _open(self, manifest: dict[str, Any], state: str, *, resume: bool, restart: bool) -> None:
        path = self.out / MANIFEST
        old = _read_manifest(path) if resume else None
        if resume and state == "damaged":
            _warn(f"{path} is damaged: no finished chunk can be trusted, recomputing all")
        if old is not None:
            changed = _changes(old, manifest)
            if changed and not restart:
                raise ConfigError(
                    f"{' and '.join(changed)} changed since the interrupted run "
                    f"({len(old['done'])} of {len(old['chunks'])} chunks finished); mixing "
                    "results is refused: add --restart to discard them and start over",
                    file=str(path),
                )
            if changed:
                _warn(
                    f"{' and '.join(changed)} changed: discarding the finished chunks (--restart)"
                )
                old = None
        if old is not None:
            kept = self._verified(old)
            manifest["done"] = kept
            manifest["files"] = {str(i): old["files"][str(i)] for i in kept}
            manifest["failures"] = {
                str(i): old["failures"][str(i)] for i in kept if str(i) in old.get("failures", {})
            }
            manifest["attrs"] = old["attrs"]  # e.g. 'created': the files stay alike
        else:
            for stale in (self.chunk_dir, self.out / "readouts.csv", self.out / "sensitivity.csv"):
                if stale.is_dir():
                    shutil.rmtree(stale)
                elif stale.exists():
                    stale.unlink()
            manifest["done"] = []
            manifest["files"] = {}
            manifest["failures"] = {}
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        for tmp in [*self.chunk_dir.glob("*.tmp-*"), *self.out.glob(f"{MANIFEST}.tmp-*")]:
            tmp.unlink()  # left by a killed writer
        manifest["complete"] = False
        self.manifest = manifest
        self._save_manifest()

    def _chunk_path(self, i: int, suffix: str) -> Path:
        return self.chunk_dir / f"chunk_{i:05d}.{suffix}"

    def _verified(self, old: dict) -> list[int]:
        """Finished chunks of ``old`` whose files still have their recorded sha256; the files
        of the others are removed so they are recomputed."""
        files = old.get("files", {})
        kept, bad = [], []
        for i in old["done"]:
            recorded = files.get(str(i), {})
            ok = all(
                recorded.get(s) is not None and file_hash(self._chunk_path(i, s)) == recorded[s]
                for s in CHUNK_SUFFIXES
            )
            (kept if ok else bad).append(i)
        for i in bad:
            for s in CHUNK_SUFFIXES:
                self._chunk_path(i, s).unlink(missing_ok=True)
        if bad:
            listed = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
            _warn(
                f"{len(bad)} finished chunk(s) of {self.out} are missing or damaged (checksum "
                f"mismatch) and are recomputed: {listed}"
            )
        return sorted(kept)

    @property
    def done(self) -> set[int]:
        return set(self.manifest["done"])

    def _save_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=1)
        _atomic_write(self.out / MANIFEST, lambda p: p.write_text(text))

    def close(self) -> None:
        """Release the folder's lock (the files stay)."""
        self._lock.release()

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
        i = result.index
        nc = _atomic_write(self._chunk_path(i, "nc"), lambda p: ds.to_netcdf(p, engine=ENGINE))
        table = readout_table(ds)
        # 12 significant digits keep the CSV quick to write; the .nc files hold full precision
        csv = _atomic_write(
            self._chunk_path(i, "csv"),
            lambda p: table.to_csv(p, index=False, float_format="%.12g"),
        )
        m["files"][str(i)] = {"nc": nc, "csv": csv}
        failed = np.flatnonzero(np.asarray(result.status) != 0)
        if failed.size:
            m["failures"][str(i)] = {"n": int(failed.size), "first": result.messages[failed[0]]}
        m["done"] = sorted(self.done | {i})
        self._save_manifest()

    def failures(self) -> tuple[int, list[str]]:
        """Number of failed members so far and the first message of each chunk with any."""
        info = self.manifest["failures"]
        order = sorted(info, key=int)
        return sum(info[k]["n"] for k in order), [info[k]["first"] for k in order]

    def finalize(self) -> Path:
        """Concatenate the chunk CSVs into ``readouts.csv`` and mark the store complete."""
        missing = set(range(len(self.manifest["chunks"]))) - self.done
        if missing:
            raise RunError(
                f"{len(missing)} chunk(s) are not finished; run again with --resume",
                file=str(self.out),
            )
        target = self.out / "readouts.csv"

        def write(tmp: Path) -> None:
            with open(tmp, "w") as dst:
                for i in range(len(self.manifest["chunks"])):
                    with open(self._chunk_path(i, "csv")) as src:
                        header = src.readline()
                        if i == 0:
                            dst.write(header)
                        shutil.copyfileobj(src, dst)

        _atomic_write(target, write)
        self.manifest["complete"] = True
        self._save_manifest()
        return self.out


def _changes(old: dict, new: dict) -> list[str]:
    """What differs between a stored manifest and this run's: names for an error message."""
    changed = []
    if old["config_hash"] != new["config_hash"] or old["chunks"] != new["chunks"]:
        changed.append("the experiment file")
    if old.get("model_hash") != new.get("model_hash"):
        ref = new.get("attrs", {}).get("model_ref", "")
        changed.append(f"the model {ref!r}" if ref else "the model")
    return changed


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
    info = _read_manifest(path / MANIFEST)
    if info is None:
        why = f"{MANIFEST} is damaged" if (path / MANIFEST).exists() else f"no {MANIFEST}"
        raise ConfigError(f"not a jaksim results directory ({why})", file=str(path))
    files = [path / "chunks" / f"chunk_{i:05d}.nc" for i in sorted(info["done"])]
    if not files:
        raise ConfigError("no finished chunks yet", file=str(path))
    hint = "run the experiment again with --resume to recompute damaged chunks"
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ConfigError(
            f"chunk file(s) {', '.join(missing[:5])} are missing; {hint}", file=str(path)
        )
    try:
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
    except (OSError, ValueError, RuntimeError) as err:  # a truncated or garbled chunk file
        raise ConfigError(f"cannot read the chunk files ({err}); {hint}", file=str(path)) from None
    ds.attrs["complete"] = int(info["complete"])
    return ds


def read_readouts(path: str | Path) -> pd.DataFrame:
    """The readouts table of a finished results directory (see :func:`readout_table`)."""
    return pd.read_csv(Path(path) / "readouts.csv")
