"""The model-agnostic trainer: resume equivalence, NaN stop, several steps, capture fallback."""
import pytest
import torch
from torch import nn

from vaelab.data import swissroll
from vaelab.models.csvae import CSVAE, CSVAEConfig
from vaelab.train import NonFiniteLossError, Step, Trainer


def small_data(n=256):
    x, y, _ = swissroll.make(n, seed=0)
    return {"x": x, "y": y}


class Interrupt(Exception):
    pass


def make(ckpt=None, iterations=40, callback=None):
    torch.manual_seed(0)
    model = CSVAE(CSVAEConfig(hidden=8))  # two optimisers, sampling noise: the hard case
    return model, Trainer(model, model.steps(), small_data(), batch_size=16, iterations=iterations, seed=7,
                          ckpt_path=ckpt, ckpt_every=10, log_every=5, progress=False, callback=callback)


def test_resume_gives_the_same_weights(tmp_path):
    full, t = make()
    t.fit()

    def stop(it, _):
        if it == 25:
            raise Interrupt  # like Ctrl-C between checkpoints (last checkpoint at 20)

    resumed, t1 = make(tmp_path / "c.ckpt", callback=stop)
    with pytest.raises(Interrupt):
        t1.fit()
    assert torch.load(tmp_path / "c.ckpt", weights_only=False)["it"] == 20
    resumed2, t2 = make(tmp_path / "c.ckpt")  # a fresh process would build everything anew
    r = t2.fit()
    assert r.iterations == 40
    for (k, a), b in zip(full.state_dict().items(), resumed2.state_dict().values()):
        assert torch.equal(a, b), k
    assert [h["iter"] for h in r.history] == list(range(5, 45, 5))


def test_same_seed_same_weights_different_seed_differs():
    a, ta = make()
    ta.fit()
    b, tb = make()
    tb.fit()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


class Blows(nn.Module):
    """A quadratic whose 'bad' term turns to inf from call ``at + 1`` on (iteration ``at + 1``, 1-based)."""

    def __init__(self, at):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.calls, self.at = 0, at

    def loss(self, batch):
        self.calls += 1
        good = (self.w ** 2).sum()
        bad = good * (float("inf") if self.calls > self.at else 1.0)
        return {"loss": good, "good": good, "bad": bad}


def test_nan_stop_names_term_and_iteration(tmp_path):
    m = Blows(at=12)
    t = Trainer(m, [Step("main", m.loss, [m.w], lr=1e-3)], {"x": torch.zeros(10, 1)}, batch_size=2,
                iterations=100, log_every=5, progress=False, ckpt_path=tmp_path / "c.ckpt", ckpt_every=10)
    with pytest.raises(NonFiniteLossError, match=r"loss term 'bad' of step 'main' became non-finite at iteration 13"):
        t.fit()
    # the checkpoint written before the blow-up is intact and finite
    sd = torch.load(tmp_path / "c.ckpt", weights_only=False)
    assert sd["it"] == 10 and torch.isfinite(sd["model"]["w"]).all()


def test_no_checkpoint_after_a_nan_between_logs(tmp_path):
    # checkpoints every 4 iterations, logs only every 50: the NaN in the 6th iteration must stop the
    # run before the checkpoint at 8 is written
    m = Blows(at=5)
    t = Trainer(m, [Step("main", m.loss, [m.w], lr=1e-3)], {"x": torch.zeros(10, 1)}, batch_size=2,
                iterations=100, log_every=50, progress=False, ckpt_path=tmp_path / "c.ckpt", ckpt_every=4)
    with pytest.raises(NonFiniteLossError, match="at iteration 6"):
        t.fit()
    assert torch.load(tmp_path / "c.ckpt", weights_only=False)["it"] == 4


def test_each_step_updates_only_its_parameters():
    torch.manual_seed(0)
    m = CSVAE(CSVAEConfig(hidden=8))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    steps = [s for s in m.steps() if s.name == "adversary"]
    Trainer(m, steps, small_data(), batch_size=8, iterations=3, progress=False).fit()
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k]) != k.startswith("adversary."), k


def test_capture_on_cpu_falls_back_with_a_reason(capsys):
    torch.manual_seed(0)
    m = CSVAE(CSVAEConfig(hidden=8))
    r = Trainer(m, m.steps(), small_data(), batch_size=8, iterations=10, capture=True, progress=False).fit()
    assert not r.captured and "needs a CUDA device" in r.capture_note
    assert "needs a CUDA device" in capsys.readouterr().out


def test_bad_arguments():
    m = Blows(at=99)
    with pytest.raises(ValueError, match="share their first dimension"):
        Trainer(m, [Step("a", m.loss, [m.w])], {"x": torch.zeros(3), "y": torch.zeros(4)}, batch_size=2, iterations=1)
    with pytest.raises(ValueError, match="unique"):
        Trainer(m, [Step("a", m.loss, [m.w]), Step("a", m.loss, [m.w])], {"x": torch.zeros(3)}, batch_size=2,
                iterations=1)


def test_obtain_checkpoints_only_runs_worth_resuming(tmp_path, monkeypatch):
    """runs.obtain: a run of fewer than CKPT_MIN_ITERATIONS iterations writes no checkpoint; a longer one
    writes them (seen from the trainer's callback) and removes the last when it finishes."""
    from vaelab import runs

    monkeypatch.setattr(runs, "ROOT", tmp_path)
    seen = []
    real = runs.Trainer

    def spy(*a, **kw):
        seen.append(kw["ckpt_path"])
        return real(*a, **kw)

    monkeypatch.setattr(runs, "Trainer", spy)
    for its in (runs.CKPT_MIN_ITERATIONS - 1, runs.CKPT_MIN_ITERATIONS):
        torch.manual_seed(0)
        model = CSVAE(CSVAEConfig(hidden=8))
        _, rec, _ = runs.obtain("t", f"r{its}", model, {"its": its}, small_data(), batch_size=16, iterations=its,
                                seed=0, device="cpu", train=True, save=False, progress=False)
        assert rec["iterations"] == its
    assert seen[0] is None and seen[1] is not None
    assert seen[1].parent.is_dir() and not seen[1].exists()   # written during the run, removed at its end
