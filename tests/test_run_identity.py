"""A run's identity, and the faults it must survive: a run of another config never replaces a committed record, a
page killed while training resumes to the same weights, a save killed at any point leaves one whole pair, a record
edited by hand is refused, and ``make check-weights`` names what no page can load."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from vaelab import REPO, check_weights, params, runs, weights
from vaelab.chapters import toy_csvae as toy
from vaelab.data import swissroll


def _obtain(profile: str, train: bool, **kw):
    torch.manual_seed(0)
    model = toy.build("VAE")
    cfg = toy.run_config("VAE", model, profile, 0)
    D = swissroll.splits(256, 16, seed=0)
    return runs.obtain("toy_csvae", "vae-s0", model, cfg, {"x": D["train"]["x"], "y": D["train"]["y"]},
                       batch_size=32, iterations=30, seed=0, device="cpu", train=train, save=True,
                       progress=False, **kw), cfg


def _sums(folder):
    return {p.name: weights.sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def test_another_profile_is_saved_beside_the_committed_run_and_found_again(root, capsys):
    # the case: the toy VAE with its record's config changed in the profile (-p profile paper)
    folder = root / "weights" / "toy_csvae"
    before = _sums(folder)
    (_, rec, _), cfg = _obtain("paper", train=False)
    after = _sums(folder)
    assert {k: after[k] for k in before} == before            # the committed pair is untouched
    new = folder / f"vae-s0-{runs.config_hash(cfg)}.json"
    assert sorted(set(after) - set(before)) == sorted([new.with_suffix(".pt").name, new.name])
    assert json.loads(new.read_text())["config"]["profile"] == "paper"
    assert "profile: 'book' -> 'paper'" in capsys.readouterr().out
    # the next run of either config loads its own weights and trains nothing
    assert runs.find("toy_csvae", "vae-s0", cfg) == new.with_suffix("")
    (_, again, _), _ = _obtain("paper", train=False)
    assert again["sha256"] == rec["sha256"] and _sums(folder) == after
    (_, book, _), _ = _obtain("book", train=False)
    assert book["sha256"] == before["vae-s0.pt"]


def test_retraining_the_same_config_keeps_the_committed_record_unless_asked(root, monkeypatch):
    folder = root / "weights" / "toy_csvae"
    before = _sums(folder)
    (_, rec, _), cfg = _obtain("book", train=True)
    assert _sums(folder)["vae-s0.pt"] == before["vae-s0.pt"]
    assert rec["run"] == f"vae-s0-{runs.config_hash(cfg)}"
    monkeypatch.setenv("VAELAB_OVERWRITE_WEIGHTS", "1")       # the explicit overwrite (`make gpu` sets it)
    (_, rec, _), _ = _obtain("book", train=True)
    assert rec["run"] == "vae-s0" and _sums(folder)["vae-s0.pt"] == rec["sha256"] != before["vae-s0.pt"]


def test_a_save_never_replaces_a_record_unless_asked(tmp_path):
    m = torch.nn.Linear(2, 2)
    weights.save(tmp_path / "r", m, config={"a": 1}, metrics={}, seed=0, device="cpu", wall_s=0)
    with pytest.raises(weights.WeightsError, match=r"r\.json exists"):
        weights.save(tmp_path / "r", m, config={"a": 2}, metrics={}, seed=0, device="cpu", wall_s=0)
    assert weights.read_record(tmp_path / "r")["config"] == {"a": 1}


def test_a_record_whose_config_was_edited_by_hand_is_refused(tmp_path):
    m = torch.nn.Linear(2, 2)
    weights.save(tmp_path / "r", m, config={"lr": 0.001}, metrics={}, seed=0, device="cpu", wall_s=0)
    js = tmp_path / "r.json"
    rec = json.loads(js.read_text())
    rec["config"]["lr"] = 0.01
    js.write_text(json.dumps(rec))
    for call in (lambda: weights.matching_record(tmp_path / "r", {"lr": 0.01}),
                 lambda: weights.load(tmp_path / "r", torch.nn.Linear(2, 2))):
        with pytest.raises(weights.WeightsError, match=r"r\.json: its config does not match"):
            call()
    assert check_weights.check_files([js])


# ------------------------------------------------------------------------------------------- killed processes
_TRAIN = textwrap.dedent("""
    import sys, torch
    from pathlib import Path
    from vaelab import runs
    from vaelab.chapters import toy_csvae as toy
    from vaelab.data import swissroll
    torch.set_num_threads(1)
    runs.ROOT = Path(sys.argv[1])
    torch.manual_seed(0)
    model = toy.build("CSVAE")
    D = swissroll.splits(2000, 16, seed=0)
    runs.obtain("toy_csvae", "csvae-s0", model, toy.run_config("CSVAE", model, "book", 0),
                {"x": D["train"]["x"], "y": D["train"]["y"]}, batch_size=32, iterations=3000, seed=0,
                device="cpu", train=True, save=True, progress=False)
""")


def _python(code: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=REPO,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def _wait_for(pattern_dir, pattern: str, proc: subprocess.Popen, timeout: float = 120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pattern_dir.exists() and any(pattern_dir.glob(pattern)):
            return
        assert proc.poll() is None, f"the process ended (rc {proc.returncode}) before {pattern} appeared"
        time.sleep(0.02)
    raise AssertionError(f"no {pattern} after {timeout} s")


def test_a_run_killed_while_training_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert _python(_TRAIN, whole).wait() == 0
    p = _python(_TRAIN, killed)
    _wait_for(killed / "checkpoints" / "toy_csvae", "*.ckpt", p)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not (killed / "weights" / "toy_csvae" / "csvae-s0.pt").exists()   # killed before the end
    assert _python(_TRAIN, killed).wait() == 0                              # the same command again
    a, b = (weights.read_record(r / "weights" / "toy_csvae" / "csvae-s0") for r in (whole, killed))
    assert a["sha256"] == b["sha256"]
    assert not any((killed / "checkpoints" / "toy_csvae").glob("*.ckpt"))


_SAVE = textwrap.dedent("""
    import os, sys, time, torch
    from vaelab import weights
    stop = sys.argv[2]
    if stop == "writing":        # the new weights half written to their temporary file
        def slow_save(obj, f):
            open(f, "wb").write(b"half a file")
            time.sleep(600)
        torch.save = slow_save
    else:                        # the new weights renamed into place, the new record not yet
        real = os.replace
        def replace(a, b):
            real(a, b)
            if str(b).endswith(".pt"):
                time.sleep(600)
        weights.os.replace = replace
    torch.manual_seed(1)
    weights.save(sys.argv[1], torch.nn.Linear(3, 3), config={"v": 2}, metrics={}, seed=0, device="cpu",
                 wall_s=0, replace=True)
""")


@pytest.mark.parametrize("stop", ["writing", "between the renames"])
def test_a_save_killed_at_any_point_leaves_one_whole_pair(tmp_path, stop):
    torch.manual_seed(0)
    old = weights.save(tmp_path / "run", torch.nn.Linear(3, 3), config={"v": 1}, metrics={}, seed=0,
                       device="cpu", wall_s=0)
    p = _python(_SAVE, tmp_path / "run", "writing" if stop == "writing" else "renames")
    if stop == "writing":
        _wait_for(tmp_path, "run.pt.tmp", p)
    else:
        _wait_for(tmp_path, "run.json.tmp", p)
        t0 = time.time()
        while weights.sha256(tmp_path / "run.pt") == old["sha256"] and time.time() - t0 < 60:
            time.sleep(0.02)
    time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    state, rec = weights.load(tmp_path / "run", torch.nn.Linear(3, 3))
    if stop == "writing":       # the previous pair, intact
        assert rec == old
    else:                       # the interrupted save, completed by the read: the new pair, consistent
        assert rec["config"] == {"v": 2} and rec["sha256"] == weights.sha256(tmp_path / "run.pt")


# --------------------------------------------------------------------------------------------- check-weights
def test_check_weights_names_what_no_page_can_load(root):
    folder = root / "weights" / "toy_csvae"
    committed = [folder / "vae-s0.json"]
    rec = weights.read_record(folder / "vae-s0")
    assert check_weights.check_files(committed) == []
    declared = [("toy_csvae", "vae-s0", rec["config"], folder / "vae-s0")]
    assert check_weights.check_census(declared, committed) == []
    changed = {**rec["config"], "profile": "paper"}
    errors = check_weights.check_census([("toy_csvae", "vae-s0", changed, None)], committed)
    assert len(errors) == 2
    assert "declares this run but no record holds its config" in errors[0] and "'book' -> 'paper'" in errors[0]
    assert "vae-s0.json: loaded by no page" in errors[1] and "'book' -> 'paper'" in errors[1]
    twice = check_weights.check_census(declared + [("toy_csvae", "vae-s0", changed, None)], committed)
    assert any("two configs under this name" in e for e in twice)
    (folder / "vae-s0.pt").write_bytes(b"not the weights")
    assert "sha256 differs" in check_weights.check_files(committed)[0]


def test_check_data_names_a_changed_file(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"abc")
    (tmp_path / "SHA256SUMS").write_text(f"{weights.sha256(tmp_path / 'a.bin')}  a.bin\n{'0' * 64}  b.bin\n")
    assert check_weights.check_data(tmp_path) == [f"{tmp_path / 'b.bin'} is missing (listed in "
                                                  f"{tmp_path / 'SHA256SUMS'})"]
    (tmp_path / "a.bin").write_bytes(b"abd")
    assert len(check_weights.check_data(tmp_path)) == 2


# ------------------------------------------------------------------------------------------------ parameters
@pytest.mark.parametrize("given, seeds", [("[0]", (0,)), ("0,1", (0, 1)), ("[1, 2]", (1, 2)), (3, (3,)),
                                          ([0, 2], (0, 2))])
def test_seeds_given_as_papermill_passes_them(given, seeds):
    assert params.validate(seeds=given).seeds == seeds


def test_seeds_that_cannot_be_read_name_the_yaml_form():
    with pytest.raises(ValueError, match=r"seeds='zero' is not a list of seeds; pass it as YAML: "
                                         r"-y \"seeds: \[0, 1, 2\]\""):
        params.validate(seeds="zero")


def test_a_parameter_the_page_does_not_take_is_an_error_naming_it(tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "execution_count": None, "outputs": [],
         "source": 'profile = "smoke"\ntrain = False\ndevice = "cpu"\nseeds = [0, 1, 2]\ndata_root = "data"\n'},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "import torch\nfrom vaelab import params\nP = params.notebook(globals())\nprint(P.seeds)"}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "page.ipynb").write_text(json.dumps(nb))
    papermill = [sys.executable, "-m", "papermill", str(tmp_path / "page.ipynb"), str(tmp_path / "out.ipynb")]
    bad = subprocess.run(papermill + ["-p", "seedz", "1"], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0
    assert ("unknown parameter 'seedz'; this chapter takes profile, train, device, seeds, data_root"
            in bad.stdout + bad.stderr)
    good = subprocess.run(papermill + ["-p", "seeds", "[0]"], capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stderr[-2000:]
    out = json.loads((tmp_path / "out.ipynb").read_text())
    assert out["cells"][-1]["outputs"][0]["text"] in ("(0,)\n", ["(0,)\n"])


def test_every_chapter_declares_one_config_per_run_name():
    """The census of every chapter's smoke profile (the book profile's is `make check-weights`): each name that a
    page declares holds one config, and every config differs in the profile from the book's run of that name."""
    declared = check_weights.census(profile="smoke", seeds=(0, 1), progress=False)
    assert {c for c, *_ in declared} == set(check_weights.RUNS) | {"face_judge"}
    assert not [e for e in check_weights.check_census(declared, []) if "two configs" in e]
    for chapter, name, config, stem, _model in declared:
        assert stem is None or stem.name != name or weights.read_record(stem)["config"] == config
