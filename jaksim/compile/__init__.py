"""Model -> CompiledModel: index maps, symbolic Jacobian, cached numba kernels, moieties."""

from jaksim.compile.cache import KERNEL_ABI, kernel_cache_dir, structure_hash
from jaksim.compile.compiled import CompiledModel, compile_model
from jaksim.compile.conservation import conservation_laws

__all__ = [
    "KERNEL_ABI",
    "CompiledModel",
    "compile_model",
    "conservation_laws",
    "kernel_cache_dir",
    "structure_hash",
]
