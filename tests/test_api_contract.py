"""Public API contract (issue 11): read-only results from every backend, dir(jaksim), lazy
subpackages, the package logger, distinct member-failure status, status remedies, --debug."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import jaksim


def _model():
    from jaksim.spec.model import Compartment, Model, Parameter, Reaction, Species

    return Model(
        id="decay",
        compartments=(Compartment("c", 1.0),),
        species=(Species("A", "c", 1.0),),
        parameters=(Parameter("k", 0.5, "1/s", assumed="test"),),
        reactions=(Reaction("d", (("A", 1),), (), "k*A", compartment="c"),),
    )


@pytest.mark.parametrize("solver", ["rodas", "lsoda"])
def test_results_are_read_only_for_every_backend(solver):
    res = jaksim.simulate(_model(), np.linspace(0, 2, 5), solver=solver)
    for arr in (res.t, res.states, res.outputs, res.params):
        with pytest.raises(ValueError, match="read-only"):
            arr[...] = 0.0
    ens = jaksim.simulate_ensemble(_model(), np.linspace(0, 2, 5), params={"k": [0.1, 0.2]})
    with pytest.raises(ValueError, match="read-only"):
        ens.values[0, 0, 0] = 1.0
    assert ens["A"][1, -1] == pytest.approx(np.exp(-0.4), rel=1e-5)


def test_dir_lists_the_public_api_and_subpackages_load_lazily():
    names = dir(jaksim)
    assert "simulate" in names and "pharmacology" in names
    assert not {"Any", "import_module", "annotations"} & set(names)
    assert jaksim.pharmacology.with_drug is not None  # no explicit import needed


def test_library_logs_only_through_its_package_logger():
    handlers = logging.getLogger("jaksim").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_status_messages_carry_a_remedy():
    from jaksim.solve.problem import status_message

    assert "remedy" in status_message(-1) and "max_steps" in status_message(-1)
    assert status_message(0) == "success"


def test_member_exception_has_its_own_status_and_bugs_propagate(monkeypatch):
    from jaksim.experiment import tasks

    assert tasks.MEMBER_RAISED not in (-1, -2, -3, -4, -5)
    assert TypeError not in tasks.MEMBER_ERRORS  # a programming error is never a member status


def test_debug_flag_shows_the_traceback(tmp_path):
    from jaksim.cli.main import main
    from jaksim.spec.errors import JaksimError

    missing = str(tmp_path / "nope.toml")
    assert main(["info", missing]) == 1
    with pytest.raises(JaksimError):
        main(["--debug", "info", missing])


def test_validate_with_a_bad_out_is_a_clear_error_before_any_work(tmp_path, capsys):
    from jaksim.cli.main import main

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert main(["validate", "--out", str(blocker / "report")]) == 1
    err = capsys.readouterr().err
    assert "jaksim: error:" in err and "--out" in err and "Traceback" not in err
