"""Hardening of the results store and the runner (issue 15): interrupted or damaged runs
resume without losing or mixing results, folders that are not stores are left alone, a lock
guards a store, Dask failures end in a clear error, failed runs exit non-zero, and plans too
large to build are refused before they are built.

Resumed results are compared with an uninterrupted run of the same experiment (bitwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from test_experiment_support import KB, TOY_ENGINE, base_config, ligand_kb_sweep

from jaksim.cli.main import main
from jaksim.experiment import load_config, open_results, run_experiment
from jaksim.experiment.engine import Engine
from jaksim.experiment.store import LOCK
from jaksim.spec.errors import ConfigError, RunError, SimulationError

GRID = ligand_kb_sweep(4, [0.6, 1.2])  # 8 members in chunks of 3: chunks 0, 1, 2


def _run(path, **kw):
    kw.setdefault("engine", TOY_ENGINE)
    kw.setdefault("out", path.parent / "out")
    return run_experiment(path, quiet=True, **kw)


class _Interrupt(Exception):
    pass


def _stop_after(k):
    def hook(n_written):
        if n_written == k:
            raise _Interrupt

    return hook


def _assert_same_results(a: Path, b: Path) -> None:
    da, db = open_results(a).load(), open_results(b).load()
    for var in ("timecourse", "readouts", "status", "message"):
        np.testing.assert_array_equal(da[var].values, db[var].values)
    assert (a / "readouts.csv").read_bytes() == (b / "readouts.csv").read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the GRID experiment."""
    directory = tmp_path_factory.mktemp("reference")
    path = base_config(directory, GRID)
    return path.read_text(), _run(path, out=directory / "ref")


def _damage(path: Path, how: str) -> None:
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "emptied":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(os.urandom(path.stat().st_size))
    elif how == "deleted":
        path.unlink()


# -- 1. chunk files are verified on resume --------------------------------------------------
@pytest.mark.parametrize(
    ("how", "suffix"),
    [
        ("truncated", "nc"),
        ("emptied", "csv"),
        ("garbage", "nc"),
        ("deleted", "csv"),
        ("deleted", "nc"),
    ],
)
def test_resume_recomputes_damaged_or_missing_chunks(tmp_path, capsys, reference, how, suffix):
    text, ref = reference
    path = base_config(tmp_path, GRID)
    assert path.read_text() == text
    out = tmp_path / "out"
    with pytest.raises(_Interrupt):
        _run(path, on_chunk=_stop_after(2))  # chunks 0 and 1 are finished
    _damage(out / "chunks" / f"chunk_00000.{suffix}", how)
    capsys.readouterr()
    written = []
    _run(path, resume=True, on_chunk=written.append)
    assert written == [1, 2]  # chunk 0 (damaged) and chunk 2 (never run); chunk 1 kept
    assert "1 finished chunk(s)" in capsys.readouterr().err
    _assert_same_results(out, ref)


def test_manifest_records_a_checksum_of_every_chunk_file(tmp_path):
    out = _run(base_config(tmp_path, GRID))
    manifest = json.loads((out / "manifest.json").read_text())
    for i in range(3):
        for suffix in ("nc", "csv"):
            data = (out / "chunks" / f"chunk_{i:05d}.{suffix}").read_bytes()
            assert manifest["files"][str(i)][suffix] == hashlib.sha256(data).hexdigest()


def test_plot_of_a_damaged_store_is_a_clean_error(tmp_path, capsys):
    out = _run(base_config(tmp_path, GRID))
    _damage(out / "chunks" / "chunk_00001.nc", "garbage")
    assert main(["plot", str(out), "--out", str(tmp_path / "f.png")]) == 1
    assert "--resume" in capsys.readouterr().err


# -- 2. a changed model or file is never mixed into a store ---------------------------------
def test_resume_refuses_a_changed_model_and_restart_runs_afresh(tmp_path, capsys):
    path = base_config(tmp_path, GRID)
    model = tmp_path / "toy.toml"
    with pytest.raises(_Interrupt):
        _run(path, on_chunk=_stop_after(1))
    model.write_text(model.read_text().replace(f"value = {KB}\n", f"value = {KB * 5}\n"))
    with pytest.raises(ConfigError, match=r"the model .*toy\.toml.* changed") as err:
        _run(path, resume=True)
    assert "--restart" in str(err.value)
    # the same through the command line: exit 1 naming the model, then --restart
    args = ["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--resume"]
    assert main(args) == 1
    assert "the model" in capsys.readouterr().err
    assert main([*args, "--restart"]) == 0
    # nothing of the old model is left: equal to an uninterrupted run of the new one
    _run(path, out=tmp_path / "fresh")
    _assert_same_results(tmp_path / "out", tmp_path / "fresh")


def test_resume_refuses_a_changed_file_naming_it(tmp_path):
    path = base_config(tmp_path, GRID)
    with pytest.raises(_Interrupt):
        _run(path, on_chunk=_stop_after(1))
    path.write_text(path.read_text().replace('"5 nM"', '"6 nM"'))
    with pytest.raises(ConfigError, match="the experiment file changed"):
        _run(path, resume=True)
    _run(path, resume=True, restart=True)
    _run(path, out=tmp_path / "fresh")
    _assert_same_results(tmp_path / "out", tmp_path / "fresh")


# -- 3. folders that are not stores, locks, names --------------------------------------------
@pytest.mark.parametrize("resume", [False, True])
def test_a_folder_that_is_not_a_store_is_never_touched(tmp_path, resume):
    path = base_config(tmp_path, GRID)
    out = tmp_path / "mine"
    (out / "chunks").mkdir(parents=True)
    (out / "chunks" / "precious.txt").write_text("keep me")
    (out / "notes.txt").write_text("mine")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(ConfigError, match="holds no jaksim results"):
        _run(path, out=out, resume=resume)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "chunks" / "precious.txt").read_text() == "keep me"


def test_pharmacology_kinds_do_not_write_into_a_foreign_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds no jaksim results"):
        run_experiment("whole_blood_ic50", out=out, quiet=True)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_locked_store_is_refused_and_a_stale_lock_taken_over(tmp_path, capsys):
    path = base_config(tmp_path, GRID)
    out = _run(path)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = {"pid": holder.pid, "host": socket.gethostname()}
        (out / LOCK).write_text(json.dumps(lock))
        with pytest.raises(RunError, match=f"process {holder.pid} on"):
            _run(path)
        with pytest.raises(RunError, match="another jaksim run"):
            _run(path, resume=True)
        assert json.loads((out / LOCK).read_text()) == lock  # the live lock is untouched
    finally:
        holder.kill()
        holder.wait()
    capsys.readouterr()
    _run(path, resume=True)  # the holder is gone: its lock is stale
    assert f"process {holder.pid} that held it is no longer running" in capsys.readouterr().err
    assert not (out / LOCK).exists()  # released after the run
    _run(path, out=tmp_path / "fresh")
    _assert_same_results(out, tmp_path / "fresh")


def test_a_lock_from_another_host_is_respected(tmp_path):
    path = base_config(tmp_path, GRID)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK).write_text(json.dumps({"pid": 1, "host": "some-other-host.invalid"}))
    with pytest.raises(RunError, match="some-other-host.invalid"):
        _run(path)


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".hidden", "a..b", "x\\y", "a b"])
def test_experiment_name_cannot_leave_the_results_folder(tmp_path, name):
    path = base_config(tmp_path, GRID)
    path.write_text(path.read_text().replace('name = "toy_run"', f"name = {json.dumps(name)}"))
    with pytest.raises(ConfigError, match="not a valid experiment name") as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: experiment.name: ")


def test_ordinary_experiment_names_are_accepted(tmp_path):
    path = base_config(tmp_path, GRID, name="il6_dose-response.v2")
    assert load_config(path).config.experiment.name == "il6_dose-response.v2"


# -- 4. Dask and stalled runs end with a clear error -----------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_quick_clean_error(tmp_path, capsys):
    pytest.importorskip("distributed")
    path = base_config(tmp_path, GRID)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    args = ["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]
    start = time.monotonic()
    assert main([*args, "--scheduler", address, "--connect-timeout", "2"]) == 1
    assert time.monotonic() - start < 20
    err = capsys.readouterr().err
    assert address in err and "Traceback" not in err


def _in_thread(fn, timeout):
    """Run ``fn`` in a daemon thread; return (finished, result or exception). A hang fails
    the test instead of hanging the suite."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["value"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), box.get("value")


def test_scheduler_without_workers_stops_with_the_resume_hint(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = base_config(tmp_path, GRID)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        finished, got = _in_thread(
            lambda: _run(path, scheduler=address, worker_timeout=1.0, connect_timeout=5.0), 60
        )
    assert finished, "the run hung on a scheduler without workers"
    assert isinstance(got, RunError)
    assert address in str(got) and "no worker" in str(got)
    assert f"jaksim run {path}" in str(got) and "--resume" in str(got)


def _slow_ensemble(model, t_eval, **kwargs):
    """simulate_ensemble that takes 3 s: a stalled worker."""
    from jaksim.simulation import simulate_ensemble

    time.sleep(3)
    return simulate_ensemble(model, t_eval, **kwargs)


def test_no_progress_watchdog_stops_a_stalled_run(tmp_path):
    path = base_config(tmp_path, GRID)
    engine = Engine(load=TOY_ENGINE.load, ensemble=_slow_ensemble)
    pool = ThreadPoolExecutor(1)
    try:
        start = time.monotonic()
        finished, got = _in_thread(
            lambda: _run(path, engine=engine, executor=pool, chunk_timeout=0.5), 60
        )
        assert finished and isinstance(got, RunError), got
        assert "no chunk finished in 0.5 s" in str(got) and "--resume" in str(got)
        assert time.monotonic() - start < 3
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# -- 5. failed runs and bad options exit non-zero ---------------------------------------------
def test_a_run_where_every_member_fails_exits_nonzero(tmp_path, capsys):
    extra = (
        '[sweep]\n[[sweep.axes]]\nkind = "parameter"\nname = "kb"\n'
        'values = [-1e5, -2e5, -5e5, -1e6]\nunit = "1/min"\n'  # growth overflows
    )
    path = base_config(tmp_path, extra)
    with pytest.raises(SimulationError, match="all 4 members failed; first reasons: '"):
        _run(path)
    args = ["run", str(path), "--out", str(tmp_path / "cli"), "--quiet"]
    assert main(args) == 1
    assert "all 4 members failed" in capsys.readouterr().err
    assert (tmp_path / "cli" / "readouts.csv").is_file()  # the statuses are kept


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_nonpositive_workers_are_rejected(tmp_path, capsys, workers):
    path = base_config(tmp_path, GRID)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--workers", workers]) != 0
    assert "--workers" in capsys.readouterr().err
    assert not out.exists()


# -- 6. size guards --------------------------------------------------------------------------
HUGE = {
    "grid": (
        "".join(
            f'[[sweep.axes]]\nkind = "parameter"\nname = "{p}"\nlow = 1\nhigh = 2\n'
            f'points = 1000\nunit = "1/s"\n'
            for p in ("k", "kb", "IC")
        ),
        "1,000,000,000 members",
    ),
    "samples": (
        '[[sweep.axes]]\nkind = "parameter"\nname = "k"\nlow = 1\nhigh = 2\nunit = "1/s"\n'
        "[sweep.sampling]\nsamples = 1000000000\n",
        "1,000,000,000 members",
    ),
    "points": (None, "1,000,000,000 time points"),
    "days": (None, "10,000,000 days"),
}


def _limit_memory():
    # a guard that does not work makes the child fail (MemoryError) instead of the machine
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


@pytest.mark.parametrize("case", sorted(HUGE))
def test_check_refuses_a_huge_plan_fast_naming_its_size(tmp_path, case):
    sweep, size = HUGE[case]
    path = base_config(tmp_path, "[sweep]\n" + sweep if sweep else "")
    text = path.read_text()
    if case == "points":
        text = text.replace("points = 31", "points = 1e9")
    if case == "days":
        text += '[protocol.drug]\nname = "tofacitinib"\nregimen = "5 mg BID"\ndays = 1e7\n'
    path.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "jaksim.cli.main", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        preexec_fn=_limit_memory,
    )
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert size in proc.stderr and "Traceback" not in proc.stderr
    assert elapsed < 30  # mostly the interpreter's start and imports
