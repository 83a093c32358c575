"""The sweep runner against a model with an exact solution: numbers, resume, failures,
Dask vs in-process, and the results file round trip."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from test_experiment_support import (
    KB,
    TOY_ENGINE,
    base_config,
    ligand_kb_sweep,
    toy_exact,
    toy_load,
)

from jaksim.analysis import readouts as ro
from jaksim.compile import compile_model
from jaksim.experiment import load_config, open_results, read_readouts, run_experiment
from jaksim.experiment.engine import Engine, ModelRef
from jaksim.experiment.runner import _plan
from jaksim.experiment.tasks import run_chunk

GRID = ligand_kb_sweep(4, [0.6, 1.2])


def _run(path, **kw):
    kw.setdefault("engine", TOY_ENGINE)
    kw.setdefault("out", path.parent / "out")
    return run_experiment(path, quiet=True, **kw)


def test_grid_sweep_matches_exact_solution(tmp_path):
    out = _run(base_config(tmp_path, GRID))
    ds = open_results(out).load()
    assert ds.sizes == {"member": 8, "time": 31, "observable": 1, "readout": 4}
    t = ds["time"].values
    assert t[-1] == pytest.approx(600.0)  # "10 min" in the model's seconds
    for i in range(8):
        c, kb = float(ds["L"][i]), float(ds["kb"][i]) / 60.0
        exact = toy_exact(t, c, kb=kb)
        np.testing.assert_allclose(ds["timecourse"][i, :, 0], exact, rtol=1e-4, atol=1e-6)
        r = ds["readouts"][i]
        assert float(r.sel(readout="B_obs:final")) == pytest.approx(exact[-1], rel=1e-4)
        # AUC is the trapezoid rule on the stored time points
        assert float(r.sel(readout="B_obs:auc")) == pytest.approx(np.trapezoid(exact, t), rel=1e-4)
        assert float(r.sel(readout="B_obs:value_at_2min")) == pytest.approx(
            toy_exact(120.0, c, kb=kb), rel=1e-4
        )
    assert set(ds["status"].values) == {0}


def test_percent_inhibition_against_exact_control(tmp_path):
    extra = """
[protocol.drug]
name = "toy_inhibitor"
concentration = "10 nM"
[[readouts]]
observable = "B_obs"
metrics = ["percent_inhibition"]
at = ["1 min"]
[sweep]
[[sweep.axes]]
kind = "drug_conc"
values = [0, 3, 10, 30]
unit = "nM"
"""
    out = _run(base_config(tmp_path, extra))
    df = read_readouts(out)
    got = df.set_index("drug_conc")["B_obs:percent_inhibition_at_1min"]
    base = toy_exact(0.0, 5.0)
    control = toy_exact(60.0, 5.0) - base
    for d in (0.0, 3.0, 10.0, 30.0):
        expected = 100 * (1 - (toy_exact(60.0, 5.0, drug=d) - base) / control)
        assert got[d] == pytest.approx(expected, rel=1e-3, abs=1e-3)
    assert got[0.0] == pytest.approx(0.0, abs=1e-6)


class _Interrupt(Exception):
    pass


def _interrupt_after(k):
    def hook(n_written):
        if n_written == k:
            raise _Interrupt

    return hook


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path, capsys):
    path = base_config(tmp_path, GRID)  # 8 members in chunks of 3: 3 chunks

    def ctrl_c_after_two(n_written):
        if n_written == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(path, out=tmp_path / "a", on_chunk=ctrl_c_after_two)
    assert "2 of 3 chunks are saved" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["done"] == [0, 1] and not manifest["complete"]
    assert open_results(tmp_path / "a").sizes["member"] == 6  # consistent partial store
    # a writer killed mid-file leaves only a temporary file, never a listed chunk
    stale = tmp_path / "a" / "chunks" / "chunk_00002.nc.tmp-12345"
    stale.write_bytes(b"half a file")
    written = []
    _run(path, out=tmp_path / "a", resume=True, on_chunk=written.append)
    assert written == [1]  # only the unfinished chunk was computed
    assert not stale.exists()
    _run(path, out=tmp_path / "b")
    a, b = open_results(tmp_path / "a").load(), open_results(tmp_path / "b").load()
    for var in ("timecourse", "readouts", "status"):
        np.testing.assert_array_equal(a[var].values, b[var].values)
    assert (tmp_path / "a" / "readouts.csv").read_text() == (
        tmp_path / "b" / "readouts.csv"
    ).read_text()


def test_resume_refuses_a_changed_file(tmp_path):
    path = base_config(tmp_path, GRID)
    with pytest.raises(_Interrupt):
        _run(path, on_chunk=_interrupt_after(1))
    path.write_text(path.read_text().replace("points = 4", "points = 5"))
    with pytest.raises(Exception, match="changed since the interrupted run"):
        _run(path, resume=True)


def test_failing_member_is_recorded_and_the_sweep_goes_on(tmp_path):
    # a negative rate constant (growth at 1e5/min) overflows that member's solve in the solver
    # (NaN, which did the same, is now refused when the file is read)
    extra = (
        '[sweep]\n[[sweep.axes]]\nkind = "parameter"\nname = "kb"\n'
        'values = [0.6, -1e5, 1.2, 0.3]\nunit = "1/min"\n'
    )
    ds = open_results(_run(base_config(tmp_path, extra))).load()
    status = ds["status"].values
    assert status[1] != 0 and ds["message"].values[1] != ""
    assert np.isnan(ds["timecourse"].values[1]).all()
    ok = [0, 2, 3]
    assert np.all(status[ok] == 0)
    t = ds["time"].values
    for i in ok:
        np.testing.assert_allclose(
            ds["timecourse"][i, :, 0], toy_exact(t, 5.0, kb=float(ds["kb"][i]) / 60), rtol=1e-4
        )


def raising_ensemble(model, t_eval, *, params=None, **kwargs):
    """simulate_ensemble that raises whenever its members include kb < 0."""
    from jaksim.simulation import simulate_ensemble

    if params is not None and np.any(np.asarray(params.get("kb", 1.0)) < 0):
        raise RuntimeError("negative kb")
    return simulate_ensemble(model, t_eval, params=params, **kwargs)


def test_raising_chunk_is_bisected_to_the_bad_member(tmp_path):
    extra = (
        '[sweep]\n[[sweep.axes]]\nkind = "parameter"\nname = "kb"\n'
        'values = [0.6, 0.9, -1, 1.2, 0.3]\nunit = "1/min"\n'
    )
    path = base_config(tmp_path, extra.replace("[sweep]", "[sweep]")).read_text()
    path_file = tmp_path / "raise.toml"
    path_file.write_text(path.replace("chunk_size = 3", "chunk_size = 5"))
    engine = Engine(load=toy_load, ensemble=raising_ensemble)
    ds = open_results(_run(path_file, engine=engine)).load()
    assert list(ds["status"].values != 0) == [False, False, True, False, False]
    assert "RuntimeError: negative kb" in ds["message"].values[2]
    assert np.isfinite(ds["timecourse"].values[[0, 1, 3, 4]]).all()


def test_dask_executor_gives_the_same_numbers(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = base_config(tmp_path, GRID)
    local = open_results(_run(path, out=tmp_path / "local")).load()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = open_results(
            _run(path, out=tmp_path / "dask", executor=client.get_executor())
        ).load()
    np.testing.assert_array_equal(local["timecourse"].values, remote["timecourse"].values)
    np.testing.assert_array_equal(local["readouts"].values, remote["readouts"].values)


def test_results_round_trip_through_the_file(tmp_path):
    path = base_config(tmp_path, GRID)
    out = _run(path)
    ds = open_results(out).load()
    loaded = load_config(path)
    plan, ranges, seeds = _plan(loaded, TOY_ENGINE)
    for i, (start, stop) in enumerate(ranges):
        direct = run_chunk(plan.task(i, start, stop, seeds["chunk_seeds"][i], TOY_ENGINE))
        np.testing.assert_array_equal(ds["timecourse"].values[start:stop], direct.values)
        np.testing.assert_array_equal(ds["readouts"].values[start:stop], direct.readouts)
    assert ds.attrs["config_text"] == path.read_text()
    assert ds.attrs["seed"] == 7
    model = compile_model(toy_load(ModelRef(str(tmp_path / "toy.toml"))))
    assert ds.attrs["model_structure_hash"] == model.structure_hash
    assert json.loads(ds.attrs["solver"])["rtol"] == 1e-6
    assert (
        json.loads((out / "manifest.json").read_text())["seeds"]["chunk_seeds"]
        == seeds["chunk_seeds"]
    )
    df = read_readouts(out)
    assert len(df) == 8
    assert list(df.columns[:5]) == ["member", "L", "kb", "status", "message"]
    peak = df.loc[df.member == 5, "B_obs:peak"].item()
    assert peak == pytest.approx(ro.peak(ds["time"].values, ds["timecourse"].values[5, :, 0]))


def test_no_sweep_runs_one_member_and_workers_option(tmp_path):
    ds = open_results(_run(base_config(tmp_path), workers=1)).load()
    assert ds.sizes["member"] == 1
    np.testing.assert_allclose(
        ds["timecourse"][0, :, 0], toy_exact(ds["time"].values, 5.0), rtol=1e-4
    )


def test_stimulus_washout_and_kb_unit_conversion(tmp_path):
    path = base_config(tmp_path, '[model.parameters]\nkb = "0.3 1/min"\n')
    text = path.read_text().replace(
        'concentration = "5 nM"', 'concentration = "5 nM"\nwashout = "5 min"'
    )
    path.write_text(text)
    ds = open_results(_run(path)).load()
    t = ds["time"].values
    y = ds["timecourse"].values[0, :, 0]
    kb = 0.3 / 60
    before = t <= 300
    np.testing.assert_allclose(y[before], toy_exact(t[before], 5.0, kb=kb), rtol=1e-4)
    # after the washout B relaxes to the unstimulated steady state with rate k + kb
    b300 = toy_exact(300.0, 5.0, kb=kb)
    b_ss = 10.0 * 1e-3 / (1e-3 + kb)
    after = ~before
    expected = b_ss + (b300 - b_ss) * np.exp(-(1e-3 + kb) * (t[after] - 300))
    np.testing.assert_allclose(y[after], expected, rtol=1e-4)
    assert KB != kb  # the override was applied, not the model's value


def test_chunk_task_is_plain_data(tmp_path):
    import pickle

    loaded = load_config(base_config(tmp_path, GRID))
    plan, ranges, seeds = _plan(loaded, TOY_ENGINE)
    task = plan.task(0, *ranges[0], seeds["chunk_seeds"][0], TOY_ENGINE)
    clone = pickle.loads(pickle.dumps(replace(task, n_threads=1)))
    assert clone.model == task.model and clone.engine == TOY_ENGINE


def test_cli_scheduler_option_runs_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    from jaksim.cli.main import main

    path = base_config(tmp_path, GRID)  # the toy model needs no pharmacology: default engine
    assert main(["run", str(path), "--out", str(tmp_path / "local"), "--quiet"]) == 0
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        args = ["run", str(path), "--out", str(tmp_path / "dask"), "--quiet"]
        assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    local, remote = (open_results(tmp_path / d).load() for d in ("local", "dask"))
    np.testing.assert_array_equal(local["timecourse"].values, remote["timecourse"].values)
