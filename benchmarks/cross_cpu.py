"""Do the book's numerics give the same bits on another CPU? Fingerprints of every kind of computation the
pages' evaluations run, on this CPU and on an emulated Intel CPU, side by side.

    .venv/bin/python benchmarks/cross_cpu.py                 # needs qemu-x86_64 (Debian: qemu-user)
    .venv/bin/python benchmarks/cross_cpu.py --cpu Haswell   # another emulated model
    .venv/bin/python benchmarks/cross_cpu.py --native        # this CPU's fingerprints only

Each row hashes the bits of one result: the procedural datasets, MKL's GEMM, oneDNN's convolutions, MKL's
vector maths, ATen's reductions, the probes (:mod:`vaelab.metrics.probes`, the cycle VAE's ``fit_probe``),
the judges' forward passes, MIG/DCI/SAP. The emulated CPU (QEMU user mode; by default an Intel Skylake with
AVX2 and FMA, ``GenuineIntel``) runs the same script under the same pins (:mod:`vaelab.cpu`), so a row that
differs is a computation whose bits depend on the processor: MKL's vendor dispatch, an approximate
reciprocal or square root, a cache-size-dependent blocking. QEMU is not a real Intel CPU (it has no AVX-512,
and its approximate instructions need not round as Intel's do), so rows that agree are evidence, not proof,
that an Intel machine computes the same bits. It runs about 40 times slower than the host: three to four
minutes. Exit status 1 if any row differs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

from vaelab import cpu

cpu.pin()  # the CPU pins, before the first tensor operation (this script exists to check them)


def _h(x) -> str:
    if isinstance(x, torch.Tensor):
        x = x.detach().contiguous().numpy()
    return hashlib.sha256(np.ascontiguousarray(np.asarray(x)).tobytes()).hexdigest()[:10]


def fingerprints() -> dict:
    """``{name: hash}`` of each computation; deterministic for a given CPU and the pins."""
    import torch.nn.functional as F

    from vaelab.data import backgrounds, lines, points, sprites, swissroll, toyfaces
    from vaelab.metrics import disentanglement as dis
    from vaelab.metrics.face_judge import FaceJudge, FaceJudgeConfig
    from vaelab.metrics.image_classifier import ImageClassifier, ImageClassifierConfig
    from vaelab.metrics.probes import train_probe
    from vaelab.models.conv_vae import ConvVAE, ConvVAEConfig
    from vaelab.metrics.probes import fit_probe

    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    out = {}
    # data
    out["ToyFaces (32 faces)"] = _h(toyfaces.make(32, seed=0, progress=False)["x"])
    ids = torch.randint(0, 500, (32,), generator=g)
    out["ToySprites (32 sprites)"] = _h(sprites.render(ids, ids % sprites.N_POSES, ids % len(sprites.DIRECTIONS)))
    out["lines (64)"] = _h(lines.sample(64, seed=0)[0])
    out["swiss roll (256)"] = _h(swissroll.make(256, seed=0)[0])
    out["four points (256)"] = _h(points.make(256, noise=0.1, seed=0)[0])
    out["background patterns"] = _h(np.stack([backgrounds.pattern(s) for s in ("horizontal", "vertical")]))
    # kernels
    a, b = torch.randn(64, 256, generator=g), torch.randn(256, 256, generator=g)
    out["GEMM 64x256x256 (MKL)"] = _h(a @ b)
    out["GEMM 500x784x512 (MKL)"] = _h(torch.randn(500, 784, generator=g) @ torch.randn(784, 512, generator=g))
    x2, w2 = torch.randn(8, 64, 16, 16, generator=g), torch.randn(128, 64, 3, 3, generator=g)
    out["conv 3x3 (oneDNN)"] = _h(F.conv2d(x2, w2, padding=1))
    out["conv 3x3 channels-last"] = _h(F.conv2d(x2.to(memory_format=torch.channels_last), w2, padding=1))
    out["transposed conv"] = _h(F.conv_transpose2d(torch.randn(8, 64, 8, 8, generator=g),
                                                   torch.randn(64, 32, 4, 4, generator=g), stride=2, padding=1))
    out["batch norm (train)"] = _h(F.batch_norm(x2, None, None, training=True))
    out["exp log tanh sigmoid sin cos"] = _h(torch.stack([a.exp(), a.abs().add(1).log(), a.tanh(), a.sigmoid(),
                                                         a.sin(), a.cos()]))
    out["sum, mean, std, norm"] = _h(torch.stack([a.sum(0), a.mean(0), a.std(0), a.norm(dim=0)]))
    out["log-softmax, cross-entropy"] = _h(F.log_softmax(a, 1).sum() + F.cross_entropy(a, torch.arange(64)))
    # evaluation pieces
    z = torch.randn(1000, 16, generator=g)
    y = (z[:, 0] > 0).long() + 2 * (z[:, 1] > 0).long()
    r = train_probe(z[:700], y[:700], z[700:], y[700:], hidden=0, steps=100)
    out["linear probe (100 Adam steps)"] = _h([r.accuracy, r.mi_bits, r.train_accuracy])
    r = train_probe(z[:700], y[:700], z[700:], y[700:], hidden=64, steps=100)
    out["MLP probe (100 Adam steps)"] = _h([r.accuracy, r.mi_bits, r.train_accuracy])
    out["cycle VAE probe (2 epochs)"] = _h(fit_probe(z[:700], y[:700], z[700:], y[700:], epochs=2))
    faces = torch.randint(0, 256, (8, 3, 64, 64), generator=g, dtype=torch.uint8)
    torch.manual_seed(0)
    judge = FaceJudge(FaceJudgeConfig(attributes=("a", "b"), n_factors=3)).eval()
    torch.manual_seed(0)
    vae = ConvVAE(ConvVAEConfig(width=8)).eval()
    torch.manual_seed(0)
    digits = ImageClassifier(ImageClassifierConfig()).eval()
    with torch.no_grad():
        out["face judge (ResNet-34)"] = _h(judge(faces))
        mu, _ = vae.encode(faces)
        out["conv VAE encode, decode"] = _h(torch.cat([mu.flatten(), vae.decode(mu).flatten()]))
        out["digit judge"] = _h(digits(torch.rand(64, 1, 28, 28, generator=g)))
    # NumPy's GEMM (OpenBLAS, Haswell kernels): the lines metric and VQ-VAE's nearest codebook vectors
    from vaelab.metrics.interpolation import closest_line
    from vaelab.models.ae_baselines import VQVAE, VQVAEConfig

    an, bn = torch.randn(300, 256, generator=g).numpy(), torch.randn(256, 2048, generator=g).numpy()
    out["GEMM 300x256x2048 (NumPy)"] = _h([an @ bn, an.astype(np.float64) @ bn.astype(np.float64)])
    out["closest reference line (64)"] = _h(np.concatenate(closest_line(lines.sample(64, seed=1)[0][:, 0])))
    torch.manual_seed(0)
    vq = VQVAE(VQVAEConfig(latent=16)).eval()
    out["VQ-VAE nearest codebook vector"] = _h(vq.quantize(torch.randn(300, 256, generator=g) * 0.1, chunk=128)[0])
    codes = torch.randn(200, 6, generator=g).numpy()
    fac = np.stack([codes[:, 0] > 0, codes[:, 1] > 0.5], 1).astype(float)
    d = dis.dci(codes[:150], fac[:150], codes[150:], fac[150:], model="gbt", n_estimators=20)
    out["DCI (trees), SAP, MIG"] = _h([d["disentanglement"], d["completeness"], d["informativeness_test"],
                                      dis.sap(codes[:150], fac[:150], codes[150:], fac[150:])["sap"],
                                      dis.mig(codes, fac)["mig"]])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", default="Skylake-Client-v4", help="QEMU CPU model to emulate")
    ap.add_argument("--native", action="store_true", help="print this CPU's fingerprints only")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)   # the emulated run's output
    args = ap.parse_args()
    if args.json:
        print(json.dumps({"aten": torch.backends.cpu.get_cpu_capability(), "rows": fingerprints()}))
        return 0
    t = time.time()
    here = fingerprints()
    print(f"this CPU ({torch.backends.cpu.get_cpu_capability()}): {time.time() - t:.1f} s")
    if args.native:
        for k, v in here.items():
            print(f"{k:34s} {v}")
        return 0
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        sys.exit("qemu-x86_64 is not installed (Debian: apt-get install qemu-user); --native prints this CPU's rows")
    t = time.time()
    proc = subprocess.run([qemu, "-cpu", args.cpu, sys.executable, __file__, "--json"], capture_output=True,
                          text=True, env=os.environ.copy())
    if proc.returncode != 0:
        sys.exit(f"the emulated run failed:\n{proc.stderr[-3000:]}")
    there = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"emulated {args.cpu} ({there['aten']}): {time.time() - t:.0f} s\n")
    print(f"| {'computation':34s} | this CPU   | {args.cpu[:10]:10s} | same |\n"
          f"|{'-' * 36}|{'-' * 12}|{'-' * 12}|------|")
    bad = 0
    for k, v in here.items():
        w = there["rows"].get(k, "missing")
        bad += v != w
        print(f"| {k:34s} | {v} | {w:10s} | {'yes' if v == w else '**no**'} |")
    print(f"\n{len(here) - bad} of {len(here)} computations give the same bits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
