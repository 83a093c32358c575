"""Reshape sweep results: from one ``member`` dimension to one dimension per swept axis."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

__all__ = ["as_grid"]


def as_grid(ds: xr.Dataset) -> xr.Dataset:
    """Reshape a full-grid sweep from ``member`` to one dimension per swept axis.

    Raises
    ------
    ValueError
        When the members do not form a complete grid (sampled or zipped sweeps).
    """
    keys = [str(k) for k in json.loads(ds.attrs["axes"])]
    if not keys:
        return ds.isel(member=0)
    sizes = [len(np.unique(ds[k].values)) for k in keys]
    if int(np.prod(sizes)) != ds.sizes["member"]:
        raise ValueError(f"axes {keys} do not form a complete grid")
    return ds.set_index(member=keys).unstack("member")
