"""PK benchmark: closed-form superposition vs the same PK as ODE species (jaksim rodas).

Run: ``python benchmarks/bench_pharmacology_pk.py``. Prints medians and the ratio; asserts
nothing. Task: plasma concentration of every shipped regimen over the first 7 days (hourly)
- what the clinical-regimen assay needs per regimen. The ODE side builds a PK-only model with
``with_drug(..., regimen=...)`` (compiled once per drug, outside the timing) and doses it with
``dosing_protocol``; both sides give the same numbers (tests/test_pharmacology_apply.py).
"""

from __future__ import annotations

import statistics

import numpy as np
from timing import wall_times

import jaksim
from jaksim.pharmacology import dosing_protocol, load_library, with_drug
from jaksim.pharmacology.pk import concentration
from jaksim.spec.model import Compartment, Model, Parameter

T_H = np.arange(0.0, 7 * 24.0, 1.0)


def pk_only_model() -> Model:
    """A 'pathway' with nothing but a JAK1 activity parameter, so with_drug adds only PK."""
    return Model(id="pk_only", compartments=(Compartment("cyt", 1.0),),
                 parameters=(Parameter("act_JAK1", 1.0, assumed="benchmark"),))  # fmt: skip


def median_time(fn, repeat: int = 5) -> float:
    return statistics.median(wall_times(fn, repeat))


def main() -> None:
    lib = load_library()
    jobs = [(d, r) for d in lib.drugs.values() for r in d.regimens]
    compiled = {}
    for d, r in jobs:  # compile outside the timing (kernels are cached on disk)
        model = with_drug(pk_only_model(), d, regimen=r)
        compiled[d.id, r] = (jaksim.compile_model(model), model)

    def closed_form():
        for d, r in jobs:
            concentration(d, d.regimen(r), T_H, days=7)

    def ode():
        for d, r in jobs:
            c, model = compiled[d.id, r]
            proto = dosing_protocol(d, r, days=7, model=model)
            jaksim.simulate(c, T_H * 3600.0, protocol=proto, outputs=["drug_conc"])

    t_cf, t_ode = median_time(closed_form), median_time(ode)
    print(f"{len(jobs)} regimens x {T_H.size} hourly points over 7 days")
    print(f"closed form : {1e3 * t_cf:8.2f} ms")
    print(f"ODE (rodas) : {1e3 * t_ode:8.2f} ms")
    print(f"ratio ODE / closed form: {t_ode / t_cf:.1f}")


if __name__ == "__main__":
    main()
