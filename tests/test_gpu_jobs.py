"""Time-boxed jobs (vaelab.gpu_jobs) on the CPU with a tiny run: a run stopped at its time limit resumes to the
weights of an uninterrupted run, a job's packed output unpacks to the same files, and the import evaluates every
snapshot with the page's code and saves a record whose last curve point the page recomputes from the file."""
import dataclasses
import json

import pytest
import torch

from vaelab import gpu_jobs, runs
from vaelab.chapters import cycle_vae as cv
from vaelab.chapters import cycle_vae_length as cvl

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
