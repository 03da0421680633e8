"""The bit-reproducibility layer (vaelab.cpu): the CPU pins, the correctly rounded square root, the probes' Adam
and their products in OpenBLAS."""
import math
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from vaelab import REPO, cpu
from vaelab.cpu import Adam


def test_pin_sets_what_is_unset_and_keeps_what_the_user_set(monkeypatch):
    monkeypatch.setattr(cpu, "has_avx2", lambda: True)
    env = {"MKL_CBWR": "AUTO"}
    added = cpu.pin(env)
    assert env["MKL_CBWR"] == "AUTO" and "MKL_CBWR" not in added
    assert {k: env[k] for k in cpu.PINS if k != "MKL_CBWR"} == {k: v for k, v in cpu.PINS.items() if k != "MKL_CBWR"}
    assert cpu.pin({cpu.OPT_OUT: "1"}) == {}
    monkeypatch.setattr(cpu, "has_avx2", lambda: False)
    assert cpu.pin({}) == {}, "off x86-64/AVX2 there is nothing to pin to"


def test_importing_vaelab_changes_nothing_and_pin_after_torch_pins_atens_kernels():
    """Importing vaelab and every one of its modules leaves the environment alone and computes nothing; ATen reads
    ATEN_CPU_CAPABILITY at its first kernel call, so ``import torch``, the imports, then ``cpu.pin()`` (the pages'
    order) is early enough: shown with a capability the machine would never pick by itself."""
    # scikit-learn sets two KMP_ variables when it loads: the snapshot is taken after it
    code = ("import importlib, os, pkgutil, sklearn, torch; before = dict(os.environ); import vaelab;"
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(vaelab.__path__, 'vaelab.')];"
            "from vaelab import cpu; assert dict(os.environ) == before, 'import changed os.environ';"
            "os.environ['ATEN_CPU_CAPABILITY'] = 'default'; cpu.pin(); torch.ones(3).sum();"
            "print(torch.backends.cpu.get_cpu_capability(), os.environ.get('MKL_CBWR'))")
    env = {k: v for k, v in __import__("os").environ.items() if k not in cpu.PINS and k != cpu.OPT_OUT}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    cap, cbwr = out.split()
    assert cap == "DEFAULT"
    assert cbwr == (cpu.PINS["MKL_CBWR"] if cpu.has_avx2() else "None")


def test_every_page_pins_before_its_first_tensor_operation():
    """Each notebook's setup cell calls cpu.pin() right after ``import torch``, before anything computes."""
    import json

    for page in sorted((REPO / "book").glob("*.ipynb")):
        cells = [c for c in json.loads(page.read_text())["cells"] if c["cell_type"] == "code"]
        setup = next(c for c in cells if "params.notebook(" in "".join(c["source"]))
        lines = [ln for ln in "".join(setup["source"]).splitlines() if ln.strip()]
        pin = next((i for i, ln in enumerate(lines) if ln.startswith("cpu.pin()")), None)
        assert pin is not None, f"{page.name}: its setup cell does not call cpu.pin()"
        assert all(ln.startswith(("import ", "from ")) for ln in lines[:pin]), f"{page.name}: computes before pinning"


@pytest.mark.skipif(not cpu.has_avx2(), reason="off x86-64/AVX2 nothing is pinned")
def test_a_long_run_refuses_to_start_when_numpy_loaded_before_its_pins():
    """NumPy and OpenBLAS read their pins when they load (with torch, before vaelab): without them in the
    environment, cpu.LATE names them and require_pins stops the run, naming the command to use; with them
    exported (as the Makefile does) the run goes on."""
    code = ("import sys, vaelab; from vaelab import cpu; print(sorted(cpu.LATE));"
            "cpu.require_pins('vaelab.chapters.toy_csvae.length', '--total 5')")
    env = {k: v for k, v in __import__("os").environ.items() if k not in cpu.PINS and k != cpu.OPT_OUT}
    bare = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    assert bare.returncode == 1 and "could pin NPY_DISABLE_CPU_FEATURES, OPENBLAS_CORETYPE," in bare.stderr
    assert "make run M=vaelab.chapters.toy_csvae.length ARGS='--total 5'" in bare.stderr
    pinned = subprocess.run([sys.executable, "-c", code], env={**env, **cpu.PINS}, capture_output=True, text=True,
                            cwd=REPO)
    assert pinned.returncode == 0 and pinned.stdout.strip() == "[]", pinned.stderr


def test_makefile_exports_the_pins():
    """The Makefile sets them for every command it runs (NumPy and OpenBLAS read theirs before vaelab loads)."""
    text = (REPO / "Makefile").read_text()
    exported = dict(re.findall(r"^export (\w+) \?= (.*)$", text, flags=re.M))
    assert {k: exported.get(k) for k in cpu.PINS} == cpu.PINS


def test_sqrt_is_correctly_rounded():
    """Against NumPy's float32 root (IEEE's, correctly rounded) on a million values across the exponent range,
    squares of floats, and the edge cases."""
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.rand(500_000, generator=g) * 10.0 ** torch.randint(-30, 30, (500_000,), generator=g),
                   torch.randn(500_000, generator=g) ** 2,
                   torch.tensor([0.0, 1.0, 4.0, 2.0, float("inf"), 1e-45, 3.4e38])])
    assert np.array_equal(cpu.sqrt(x).numpy(), np.sqrt(x.numpy()))
    assert cpu.sqrt(torch.tensor([-1.0])).isnan().all()
    assert cpu.sqrt(x).dtype == torch.float32
    d = torch.tensor([2.0, 9.0], dtype=torch.float64)
    assert torch.equal(cpu.sqrt(d), torch.sqrt(d))


def _adam_reference(p, grads, lr, b1, b2, eps, wd):
    """Kingma & Ba's Algorithm 1 in PyTorch's arrangement, in float64: L2 decay added to the gradient,
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""
    p = p.double().clone()
    m = torch.zeros_like(p)
    v = torch.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = g.double() + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1 ** t) * m / (v.sqrt() / math.sqrt(1 - b2 ** t) + eps)
    return p


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_adam_is_algorithm_1(wd):
    g = torch.Generator().manual_seed(1)
    p0 = torch.randn(50, generator=g)
    grads = [torch.randn(50, generator=g) for _ in range(200)]
    p = p0.clone().requires_grad_()
    opt = Adam([p], lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=wd)
    for gr in grads:
        p.grad = gr.clone()
        opt.step()
    ref = _adam_reference(p0, grads, 1e-2, 0.8, 0.99, 1e-6, wd)
    assert torch.allclose(p.detach().double(), ref, rtol=0, atol=1e-5)
    # and PyTorch's Adam takes the same path, up to its square root's last bits
    q = p0.clone().requires_grad_()
    topt = torch.optim.Adam([q], lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=wd)
    for gr in grads:
        q.grad = gr.clone()
        topt.step()
    assert torch.allclose(p, q, rtol=0, atol=1e-5)


def test_adam_on_many_tensors_gives_the_bits_of_one_tensor_at_a_time():
    """The roots of all parameters are taken in one call (vaelab.cpu._roots); each parameter must end with
    the bits it gets when it is the optimizer's only parameter."""
    g = torch.Generator().manual_seed(2)
    shapes = [(7, 3), (256,), (5, 1, 3), (1,), (33,)]
    p0 = [torch.randn(s, generator=g) for s in shapes]
    grads = [[torch.randn(s, generator=g) for s in shapes] for _ in range(50)]
    together = [p.clone().requires_grad_() for p in p0]
    opt = Adam(together, lr=1e-2)
    for gs in grads:
        for p, gr in zip(together, gs):
            p.grad = gr.clone()
        opt.step()
    for j, p in enumerate(p0):
        alone = p.clone().requires_grad_()
        o = Adam([alone], lr=1e-2)
        for gs in grads:
            alone.grad = gs[j].clone()
            o.step()
        assert torch.equal(alone, together[j]), shapes[j]


def test_adam_keeps_a_step_count_per_parameter():
    """A parameter without a gradient is left alone and its bias corrections count only its own steps."""
    a, b = torch.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = torch.ones(3)
    opt.step()
    assert torch.equal(b, torch.zeros(3))
    b.grad = torch.ones(3)
    opt.step()
    # step 1 of a constant gradient moves by lr (the bias corrections undo the averages' zero start)
    assert torch.allclose(b, torch.full((3,), -0.1), atol=1e-6)
    assert opt.state[a]["step"] == 2 and opt.state[b]["step"] == 1


def test_adam_refuses_bad_settings():
    p = [torch.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match="lr=0"):
        Adam(p, lr=0)
    with pytest.raises(ValueError, match="betas"):
        Adam(p, betas=(0.9, 1.0))


def test_cross_cpu_fingerprints_are_the_same_in_another_process():
    """benchmarks/cross_cpu.py --native (what it compares with an emulated CPU) gives, in a fresh process, the
    bits this process computes: the evaluations are run-to-run deterministic, as nbval needs."""
    import importlib.util

    path = REPO / "benchmarks" / "cross_cpu.py"
    spec = importlib.util.spec_from_file_location("cross_cpu", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    here = mod.fingerprints()
    out = subprocess.run([sys.executable, str(path), "--native"], capture_output=True, text=True, check=True).stdout
    rows = dict(line.rsplit(None, 1) for line in out.splitlines()[1:] if line.strip())
    assert {k.strip(): v for k, v in rows.items()} == here
    assert len(here) == 25


def test_blas_linear_is_nn_linear_up_to_rounding_and_learns_the_same():
    """vaelab.cpu.Linear: the forward pass and the three gradients of nn.Linear (float64 reference), and the
    same bits whatever the batch is split into (each row of a product is computed alone)."""
    from vaelab.cpu import Linear, linear

    g = torch.Generator().manual_seed(3)
    torch.manual_seed(0)
    lin = Linear(7, 5)
    ref = torch.nn.Linear(7, 5).double()
    ref.load_state_dict({k: v.double() for k, v in lin.state_dict().items()})
    x = torch.randn(33, 7, generator=g, requires_grad=True)
    xd = x.detach().double().requires_grad_()
    w = torch.randn(33, 5, generator=g)
    (lin(x) * w).sum().backward()
    (ref(xd) * w.double()).sum().backward()
    assert torch.allclose(lin(x).double(), ref(xd), atol=1e-5)
    assert torch.allclose(x.grad.double(), xd.grad, atol=1e-5)
    assert torch.allclose(lin.weight.grad.double(), ref.weight.grad, atol=1e-5)
    assert torch.allclose(lin.bias.grad.double(), ref.bias.grad, atol=1e-5)
    with torch.no_grad():
        assert torch.equal(lin(x), torch.cat([lin(x[:10]), lin(x[10:])]))
    # other dtypes go through PyTorch's product
    assert linear(xd, lin.weight.double(), lin.bias.double()).dtype == torch.float64
