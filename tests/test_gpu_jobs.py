"""Time-boxed jobs (vaelab.gpu_jobs) on the CPU with a tiny run: a run stopped at its time limit resumes to the
weights of an uninterrupted run, a job's packed output unpacks to the same files, and the import evaluates every
snapshot with the page's code and saves a record whose last curve point the page recomputes from the file."""
import dataclasses
import json

import pytest
import torch

from vaelab import gpu_jobs, runs
from vaelab.chapters import cycle_vae as cv
from vaelab.chapters.cycle_vae import length as cvl

TINY = gpu_jobs.Run("MNIST 16/16", 0, 12, (5, 12), "mnist16")


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """The job holds only TINY; the book profile's evaluation is shrunk; weights go to tmp_path."""
    small = dataclasses.replace(cv.PROFILES["book"], probe_train=300, probe_test=200, probe_epochs=1,
                                judge_iterations=20)
    monkeypatch.setitem(cv.PROFILES, "book", small)
    monkeypatch.setattr(gpu_jobs, "JOB", [TINY])
    monkeypatch.setattr(cvl, "JOB", [TINY])
    monkeypatch.setattr(runs, "ROOT", tmp_path)
    torch.set_num_threads(1)
    return tmp_path


def test_the_job_lists_each_run_once_with_its_snapshots_inside_its_length():
    keys = [r.key for r in gpu_jobs.JOB]
    assert len(keys) == len(set(keys))
    assert gpu_jobs.JOB[0].key == "mnist16-93700-s0" and gpu_jobs.JOB[0].iterations == 93_700
    for r in gpu_jobs.JOB:
        assert r.snapshots and max(r.snapshots) <= r.iterations
    assert gpu_jobs.curve_points(93_700) == (1000, 2000, 3000, 5000, 10_000, 20_000, 40_000, 74_960, 93_700)
    with pytest.raises(ValueError, match="no run 'nope'"):
        gpu_jobs.find("nope")


def test_stopped_at_the_time_limit_then_resumed_equals_uninterrupted(tiny):
    whole = gpu_jobs.train_run(TINY, tiny / "whole", progress=False)
    assert whole["finished"] and whole["iterations"] == 12
    cut = gpu_jobs.train_run(TINY, tiny / "cut", minutes=0, progress=False)  # stops after the first iteration
    assert not cut["finished"] and cut["iterations"] == 1
    assert (tiny / "cut" / TINY.key / "ckpt.pt").exists()
    again = gpu_jobs.train_run(TINY, tiny / "cut", progress=False)
    assert again["finished"] and not (tiny / "cut" / TINY.key / "ckpt.pt").exists()
    a, b = gpu_jobs.read_run(tiny / "whole" / TINY.key), gpu_jobs.read_run(tiny / "cut" / TINY.key)
    assert sorted(a["snapshots"]) == sorted(b["snapshots"]) == [5, 12]
    for k in a["final"]:
        assert torch.equal(a["final"][k], b["final"][k]), k
        assert torch.equal(a["snapshots"][5][k], b["snapshots"][5][k]), k
    assert a["final"]["encoder.style_mu.weight"].dtype == torch.float16


def test_import_saves_the_curve_and_the_page_recomputes_its_last_point(tiny):
    gpu_jobs.train_run(TINY, tiny / "work", progress=False)
    packed = tiny / "out"
    packed.mkdir()
    torch.save({TINY.key: gpu_jobs.read_run(tiny / "work" / TINY.key)}, packed / "mnist16.pt")
    assert cvl.import_runs(packed, progress=False) == [TINY.key]
    rec = json.loads((tiny / "weights" / "cycle_vae" / f"{TINY.key}.json").read_text())
    assert rec["storage"] == "float16" and rec["config"]["iterations"] == 12
    assert sorted(rec["curve"], key=int) == ["5", "12"]
    assert rec["curve"]["12"] == rec["metrics"]
    assert {"z_test", "zs_test", "s_test", "swap_acc", "style_share"} <= set(rec["metrics"])
    cache = runs.ROOT / "checkpoints" / "jobs" / TINY.key / "snapshot-5.metrics.json"
    assert json.loads(cache.read_text())["metrics"] == rec["curve"]["5"]   # kept: a second import reuses it
    assert cvl.import_runs(packed, progress=False) == []   # the record is there: kept unless asked
    assert cvl.import_runs(packed, progress=False, overwrite=True) == [TINY.key]
    assert json.loads((tiny / "weights" / "cycle_vae" / f"{TINY.key}.json").read_text())["curve"] == rec["curve"]
    judge, P = cvl._judge()
    D = cv.load_data({"mnist"}, cv.PROFILES["book"], P.data_root)
    page = cvl.load(TINY, D, judge)
    assert page["metrics"] == pytest.approx(rec["metrics"], abs=0, rel=0)


def test_import_refuses_a_run_the_job_does_not_declare(tiny, monkeypatch):
    gpu_jobs.train_run(TINY, tiny / "work", progress=False)
    monkeypatch.setattr(cvl, "JOB", [dataclasses.replace(TINY, snapshots=(12,))])
    with pytest.raises(ValueError, match="is not the job's"):
        cvl.import_runs(tiny / "work", progress=False)


def test_unfinished_runs_are_left_to_resume(tiny, capsys):
    gpu_jobs.train_run(TINY, tiny / "work", minutes=0, progress=False)
    assert cvl.import_runs(tiny / "work", progress=False) == []
    assert "not finished: resume it" in capsys.readouterr().out


def _record(share):
    its = (1000, 2000, 5000, 10_000, 93_700)
    curve = {str(t): {"z_test": 70.0 - i, "zs_test": 15.0, "s_test": 95.0 + i, "swap_acc": 85.0, "swap_leak": 2.0,
                      "style_share": share[i], "recon_mse": 0.05} for i, t in enumerate(its)}
    return {"config": {"iterations": 93_700, "lr_drop_at": 0.8}, "curve": curve}


def test_plateau_is_where_the_metric_stops_moving_by_more_than_the_tolerance():
    assert cvl.plateau(_record([5.0, 10.0, 20.0, 20.5, 21.0]), "style_share") == 5000
    assert cvl.plateau(_record([5.0, 10.0, 20.0, 30.0, 40.0]), "style_share") == 93_700   # still rising
    assert cvl.plateau(_record([5.0, 5.0, 5.0, 5.0, 5.0]), "style_share") == 1000         # flat from the start


def test_length_findings_state_the_ends_the_plateau_and_the_recomputation():
    rec = _record([5.0, 10.0, 20.0, 20.5, 21.0])
    authors = {"z_test": 67.0, "zs_test": 16.6, "s_test": 98.4, "swap_acc": 90.0, "style_share": 43.5}
    last = dict(rec["curve"]["93700"])
    text = cvl.length_findings(rec, last, authors, 17.56)
    # at the end: sampled z 15.0 against 16.6 (off by more than a point), the means 66.0 against 67.0 and s 99.0
    # against 98.4 (level); the style share moves by at most a point per step from 5,000 on
    assert text.split(". ")[0] + "." == (
        "At its last point the long run reads the class as the authors' checkpoint does, within a point, from the z "
        "means and s but not from sampled z, and its style share has settled before the end.")
    assert "sampled z goes from 15.0 % at 1,000 to 15.0 % at 93,700 (the paper: 17.56 %" in text
    assert "from the means from 70.0 % at 1,000 to 66.0 % at 93,700" in text
    assert "moves by at most one point per step from 5,000 iterations on" in text
    assert text.endswith("equals the record's last point.")
    last["s_test"] += 0.01
    assert cvl.length_findings(rec, last, authors, 17.56).endswith("differs from the record's last point.")
    rising = _record([5.0, 10.0, 20.0, 30.0, 40.0])
    assert cvl.length_findings(rising, rising["curve"]["93700"], {**authors, "zs_test": 15.0}, 17.56).startswith(
        "At its last point the long run reads the class as the authors' checkpoint does, within a point, from sampled "
        "z, the z means and s, and its style share is still moving at the end. ")
    far = {**authors, "zs_test": 30.0, "z_test": 20.0, "s_test": 80.0}
    assert cvl.length_findings(rec, rec["curve"]["93700"], far, 17.56).startswith(
        "At its last point the long run reads the class differently from the authors' checkpoint, by more than a "
        "point, from sampled z, the z means and s, and its style share has settled before the end. ")
    table = cvl.curve_table(rec, last)
    assert list(table.index)[-1] == "93,700, recomputed from the committed file"
    assert table.loc["93,700", "s test %"] == "99.00" and table.iloc[-1]["s test %"] == "99.01"


def test_convergence_figure_has_a_panel_per_group_on_a_log_axis():
    from vaelab.chapters.cycle_vae import figures as cf
    fig = cf.convergence(_record([5.0, 10.0, 20.0, 20.5, 21.0]), {"z_test": 67.0, "zs_test": 16.6}, 17.56)
    assert len(fig.axes) == len(cf.CURVE_PANELS)
    assert all(ax.get_xscale() == "log" for ax in fig.axes)
    ys = fig.axes[3].lines[0].get_ydata()
    assert list(ys) == [5.0, 10.0, 20.0, 20.5, 21.0]
