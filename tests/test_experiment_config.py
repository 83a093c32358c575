"""Experiment-file validation: every bad config gives its own error, naming file and key path."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, Field
from test_experiment_support import TOY_ENGINE, base_config

from jaksim.cli.main import main
from jaksim.experiment import load_config, parse_config, register_kind, run_experiment
from jaksim.experiment.plan import make_plan
from jaksim.experiment.sweep import build_sweep, chunk_ranges
from jaksim.spec.errors import ConfigError

GOOD = """
[experiment]
name = "x"
[model]
ref = "il6"
[time]
end = "60 min"
[[protocol.stimulus]]
species = "IL6"
concentration = "1 nM"
[[readouts]]
observable = "pSTAT3_total"
metrics = ["peak"]
"""


def _edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# (description, edited config, expected field, message fragment)
BAD = [
    ("unknown top key", GOOD + "[sweeep]\n", "sweeep", "did you mean 'sweep'"),
    (
        "unknown nested key",
        _edit(GOOD, 'name = "x"', 'name = "x"\nsed = 1'),
        "experiment.sed",
        "did you mean 'seed'",
    ),
    (
        "wrong type",
        _edit(GOOD, 'name = "x"', 'name = "x"\nseed = "abc"'),
        "experiment.seed",
        "integer",
    ),
    (
        "negative seed",
        _edit(GOOD, 'name = "x"', 'name = "x"\nseed = -1'),
        "experiment.seed",
        "greater than or equal to 0",
    ),
    (
        "missing required key",
        _edit(GOOD, 'name = "x"', 'description = "no name"'),
        "experiment.name",
        "required key is missing",
    ),
    (
        "missing unit",
        _edit(GOOD, '"1 nM"', "1.0"),
        "protocol.stimulus[0].concentration",
        "missing unit",
    ),
    (
        "missing unit in string",
        _edit(GOOD, '"1 nM"', '"1"'),
        "protocol.stimulus[0].concentration",
        "missing unit",
    ),
    (
        "unknown unit",
        _edit(GOOD, '"1 nM"', '"1 nMol"'),
        "protocol.stimulus[0].concentration",
        "nMol",
    ),
    (
        "wrong dimension",
        _edit(GOOD, '"1 nM"', '"1 s"'),
        "protocol.stimulus[0].concentration",
        "not a concentration unit",
    ),
    (
        "negative concentration",
        _edit(GOOD, '"1 nM"', '"-1 nM"'),
        "protocol.stimulus[0].concentration",
        "must not be negative",
    ),
    ("t_end zero", _edit(GOOD, 'end = "60 min"', 'end = "0 min"'), "time", "'end' must be > 0"),
    (
        "t_end is not a time",
        _edit(GOOD, 'end = "60 min"', 'end = "60 nM"'),
        "time.end",
        "not a time unit",
    ),
    (
        "times not increasing",
        _edit(GOOD, 'end = "60 min"', 'values = [0, 5, 3]\nunit = "min"'),
        "time",
        "strictly increasing",
    ),
    (
        "washout before addition",
        _edit(
            GOOD,
            'concentration = "1 nM"',
            'concentration = "1 nM"\ntime = "10 min"\nwashout = "5 min"',
        ),
        "protocol.stimulus[0]",
        "must be after",
    ),
    ("unknown metric", _edit(GOOD, '["peak"]', '["peek"]'), "readouts[0].metrics[0]", "peak"),
    (
        "unknown kind",
        _edit(GOOD, 'name = "x"', 'name = "x"\nkind = "simulaton"'),
        "experiment.kind",
        "did you mean 'simulation'",
    ),
    (
        "simulation without model",
        GOOD.replace('[model]\nref = "il6"\n', ""),
        None,
        "needs a [model] table",
    ),
    (
        "empty range",
        GOOD + '[[sweep.axes]]\nkind = "parameter"\nname = "k"\nlow = 5\nhigh = 1\n'
        'unit = "1/s"\npoints = 3\n',
        "sweep.axes[0]",
        "empty range",
    ),
    (
        "log range at zero",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nlow = 0\n'
        'high = 1\nunit = "nM"\nscale = "log"\npoints = 3\n',
        "sweep.axes[0]",
        "log range",
    ),
    (
        "axis without unit",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nvalues = [1, 2]\n',
        "sweep.axes[0]",
        "missing 'unit'",
    ),
    (
        "empty values",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nvalues = []\nunit = "nM"\n',
        "sweep.axes[0]",
        "empty",
    ),
    (
        "negative concentration axis",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nvalues = [-1, 2]\nunit = "nM"\n',
        "sweep.axes[0]",
        "must not be negative",
    ),
    (
        "sampled axis without sampling",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\n'
        'low = 0.1\nhigh = 1\nunit = "nM"\n',
        "sweep.sampling",
        "add [sweep.sampling]",
    ),
    (
        "stimulus axis not in protocol",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL4"\nvalues = [1]\nunit = "nM"\n',
        "sweep.axes[0].name",
        "not in [[protocol.stimulus]]",
    ),
    (
        "drug axis without drug",
        GOOD + '[[sweep.axes]]\nkind = "drug_conc"\nvalues = [1]\nunit = "nM"\n',
        "sweep.axes[0].kind",
        "needs a drug",
    ),
    (
        "percent inhibition without drug",
        _edit(GOOD, '["peak"]', '["percent_inhibition"]'),
        "readouts",
        "no drug is given",
    ),
    (
        "drug with both forms",
        GOOD + '[protocol.drug]\nname = "tofacitinib"\n'
        'concentration = "1 nM"\nregimen = "5 mg BID"\n',
        "protocol.drug",
        "exactly one",
    ),
    (
        "sobol samples not power of 2",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\n'
        'low = 0.1\nhigh = 1\nunit = "nM"\n[sensitivity]\nsamples = 100\n',
        "sensitivity",
        "power of 2",
    ),
    (
        "duplicate axis",
        GOOD + '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nvalues = [1]\n'
        'unit = "nM"\n[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nvalues = [2]\nunit = "nM"\n',
        "sweep",
        "appear twice",
    ),
    ("invalid TOML", GOOD + "[experiment\n", None, "not valid TOML"),
]


@pytest.mark.parametrize("text, field, fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_gives_its_error(text, field, fragment):
    with pytest.raises(ConfigError) as info:
        parse_config(text, file="bad.toml")
    err = info.value
    assert err.file == "bad.toml"
    assert err.field == field
    assert fragment in err.message
    assert str(err).startswith("bad.toml: ")


def test_good_config_parses_with_units():
    loaded = parse_config(GOOD, file="good.toml")
    stim = loaded.config.protocol.stimulus[0]
    assert (stim.concentration.value, stim.concentration.unit) == (1.0, "nM")
    assert loaded.config.time.end.unit == "min"


def test_zipped_axes_need_equal_lengths(tmp_path):
    text = GOOD + (
        '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nvalues = [1, 2]\nunit = "nM"\n'
        'group = "z"\n'
        '[[sweep.axes]]\nkind = "parameter"\nname = "k"\nvalues = [1, 2, 3]\nrelative = true\n'
        'group = "z"\n'
    )
    loaded = parse_config(text, file="zip.toml")
    with pytest.raises(ConfigError, match=r"zip.toml: sweep.axes\[1\]: zipped axes"):
        build_sweep(loaded.config, np.random.SeedSequence(0), loaded.file)


REFERENCE_ERRORS = [
    ('[model.parameters]\nkk = "1 1/s"\n', "model.parameters.kk", "no parameter 'kk'"),
    ('[model.parameters]\nk = "1 nM"\n', "model.parameters.k", "cannot convert"),
    ('[model.initial]\nAA = "1 nM"\n', "model.initial.AA", "did you mean 'A'"),
    ('[[readouts]]\nobservable = "B_ob"\n', "readouts", "did you mean 'B_obs'"),
    (
        '[sweep]\n[[sweep.axes]]\nkind = "parameter"\nname = "kbb"\nvalues = [1]\nunit = "1/s"\n',
        "sweep.axes[0].name",
        "did you mean 'kb'",
    ),
]


@pytest.mark.parametrize("extra, field, fragment", REFERENCE_ERRORS)
def test_reference_errors_name_the_key(tmp_path, extra, field, fragment):
    path = base_config(tmp_path, extra)
    loaded = load_config(path)
    cfg = loaded.config
    with pytest.raises(ConfigError) as info:
        make_plan(loaded, build_sweep(cfg, np.random.SeedSequence(0), loaded.file), TOY_ENGINE)
    assert info.value.file == str(path)
    assert info.value.field == field
    assert fragment in info.value.message


def test_unknown_model_is_reported(tmp_path):
    path = base_config(tmp_path)
    path.write_text(path.read_text().replace('ref = "toy.toml"', 'ref = "no_such_model"'))
    with pytest.raises(ConfigError, match="model.ref: cannot load model 'no_such_model'"):
        loaded = load_config(path)
        make_plan(loaded, build_sweep(loaded.config, np.random.SeedSequence(0)), TOY_ENGINE)


def test_grid_zip_and_categorical_chunks():
    text = GOOD + (
        '[protocol.drug]\nname = "tofacitinib"\nconcentration = "10 nM"\n'
        '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nlow = 0.01\nhigh = 100\nscale = "log"\n'
        'points = 5\nunit = "nM"\n'
        '[[sweep.axes]]\nkind = "parameter"\nname = "k1"\nvalues = [1, 2, 3]\nrelative = true\n'
        'group = "z"\n'
        '[[sweep.axes]]\nkind = "parameter"\nname = "k2"\nvalues = [4, 5, 6]\nrelative = true\n'
        'group = "z"\n'
        '[[sweep.axes]]\nkind = "drug"\nvalues = ["tofacitinib", "baricitinib"]\n'
    )
    loaded = parse_config(text)
    table = build_sweep(loaded.config, np.random.SeedSequence(0))
    assert table.n == 5 * 3 * 2  # grid of (IL6) x (k1 zip k2) x (drug)
    np.testing.assert_allclose(np.unique(table.columns["IL6"]), np.logspace(-2, 2, 5))
    np.testing.assert_array_equal(table.columns["k2"] - table.columns["k1"], 3.0)  # zipped
    for start, stop in chunk_ranges(table, 4):  # a chunk never mixes drugs
        assert len(set(table.columns["drug"][start:stop])) == 1
    assert sum(stop - start for start, stop in chunk_ranges(table, 4)) == table.n


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_sampling_is_seeded_and_in_range(method):
    text = GOOD + (
        '[[sweep.axes]]\nkind = "stimulus"\nname = "IL6"\nlow = 0.01\nhigh = 100\nscale = "log"\n'
        'unit = "nM"\n'
        '[[sweep.axes]]\nkind = "parameter"\nname = "k"\nlow = 0.5\nhigh = 2\nrelative = true\n'
        f'[sweep.sampling]\nmethod = "{method}"\nsamples = 256\n'
    )
    cfg = parse_config(text).config
    a = build_sweep(cfg, np.random.SeedSequence(1))
    b = build_sweep(cfg, np.random.SeedSequence(1))
    c = build_sweep(cfg, np.random.SeedSequence(2))
    np.testing.assert_array_equal(a.columns["IL6"], b.columns["IL6"])
    assert not np.array_equal(a.columns["IL6"], c.columns["IL6"])
    il6 = a.columns["IL6"]
    assert a.n == 256 and il6.min() >= 0.01 and il6.max() <= 100
    # log scale: about half the samples below the geometric midpoint 1 nM
    assert abs(np.mean(il6 < 1.0) - 0.5) < 0.1
    if method in ("lhs", "sobol"):  # one sample in each of 16 equal strata... x16
        u = (np.log10(il6) + 2) / 4
        counts = np.bincount((u * 16).astype(int), minlength=16)
        assert np.all(counts == 16)


def test_cli_check(tmp_path, capsys):
    good = base_config(tmp_path)
    # the toy model carries its own drug_conc, so the default engine can check it
    assert main(["check", str(good)]) == 0
    assert re.search(r"ok \(simulation experiment 'toy_run', 1 member\)", capsys.readouterr().out)
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace('metrics = ["final"', 'metrics = ["fnal"'))
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: readouts[0].metrics[0]:" in err


class _EchoSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repeat: int = Field(gt=0)


def _echo_runner(loaded, opts):
    return loaded.section.repeat * loaded.config.experiment.name


def test_registered_kind_validates_its_own_table():
    register_kind("echo_test", _EchoSection, _echo_runner)
    text = '[experiment]\nname = "ab"\nkind = "echo_test"\n[echo_test]\nrepeat = 3\n'
    assert run_experiment(parse_config(text)) == "ababab"
    with pytest.raises(ConfigError) as info:
        parse_config(text.replace("repeat = 3", "repet = 3"), file="k.toml")
    assert info.value.field == "echo_test.repet"
    assert "did you mean 'repeat'" in info.value.message
    with pytest.raises(ConfigError, match="needs a \\[echo_test\\] table"):
        parse_config(text.split("[echo_test]")[0])
