"""The cycle-consistent VAE chapter's verdicts, written from the per-seed numbers: the probe table against the
paper, the ablation without the reverse cycle (Welch's t-test), what the swaps show, and which experiments are
in the degenerate direction where z reads the class better than s. Each text opens with one plain sentence that
says the verdict in words, computed from the same numbers; the numbers follow it."""
from __future__ import annotations

import numpy as np

from ... import claims, report
from . import ABLATION, EXPERIMENTS, KNOWN, NO_TEST, PAPER, TABLE_EXPERIMENTS, chance

def _ms(results, name, key):
    v = report.per_seed(results, name, key)
    return f"{np.mean(v):.1f} ± {report.sd(v):.1f} %"


def _probe_lead(n: int, met: int, means_more: int, left_out: bool) -> str:
    """The table's verdict in words: z under the paper's protocol against the paper, then the means against the
    samples, over the ``n`` experiments in which s holds the class (``left_out``: some do not)."""
    if n == 0:
        return "s holds too little of the class in every experiment here for a low z to say anything about the split."
    where = " in which s holds the class" if left_out else ""
    if met == n:
        c1 = f"no more of the class than the paper reports in every experiment{where}"
    elif met == 0:
        c1 = f"more of the class than the paper reports in every experiment{where}"
    else:
        c1 = f"no more of the class than the paper reports in some experiments{where} and more in the others"
    c2 = ("more of it than the samples" + (" in each" if n > 1 else "") if means_more == n
          else "no more of it than the samples" if means_more == 0
          else "more of it than the samples in some of them")
    conj = "but" if met and means_more else "and"
    return f"By the paper's protocol z holds {c1}, {conj} its posterior means hold {c2}."


def findings(results: dict, D: dict, experiments=TABLE_EXPERIMENTS, authors_result: dict | None = None) -> str:
    """The table's verdict: one plain sentence, then one sentence per experiment and the count. The paper's z
    column is compared with the sampled-z probe (the protocol under which the authors' own model gives the paper's
    numbers); the means are reported beside it. ``authors_result``: the authors' checkpoint, quoted after MNIST
    16/16."""
    out, met, n, means_more = [], 0, 0, 0
    for name in experiments:
        z, zs, s = (report.per_seed(results, name, k) for k in ("z_test", "zs_test", "s_test"))
        if not z or not zs or name not in PAPER:
            continue
        base = chance(D[KNOWN[name].dataset])
        pz, ps = PAPER[name][1], PAPER[name][3]
        holds = np.mean(s) >= 50  # below this, s holds little of the class and a low z says nothing of the split
        n += holds
        met += holds and np.mean(zs) <= pz
        means_more += holds and np.mean(z) > np.mean(zs)
        sent = (f"{name}: the class is read from one posterior sample of z per image at "
                f"{_ms(results, name, 'zs_test')} on test codes, "
                f"{'at or below' if np.mean(zs) <= pz else 'above'} the paper's {pz:.2f} %; from the posterior "
                f"means at {_ms(results, name, 'z_test')}; and from s at {_ms(results, name, 's_test')} "
                f"({'below' if np.mean(s) < ps else 'at or above'} the paper's {ps:.2f} %; guessing the commonest "
                f"class scores {base:.1f} %).")
        if not holds:
            sent += (" s does not hold the class here, so a low z says nothing about the split: this experiment is "
                     "left out of the count below.")
        if name == "MNIST 16/16" and authors_result is not None:
            m = authors_result["metrics"]
            sent += (f" The authors' released checkpoint, through the same probes: {m['zs_test']:.1f} % from "
                     f"sampled z, {m['z_test']:.1f} % from the means, {m['s_test']:.1f} % from s.")
        out.append(sent)
    if not out:
        return ""
    lead = _probe_lead(n, met, means_more, n < len(out))
    if n:
        out.append(f"Counting the experiments in which s holds the class: z is at or below the paper's number in "
                   f"{met} of {n}; the means read more of the class than the samples in {means_more} of {n}"
                   + (f" and on the authors' checkpoint ({authors_result['metrics']['z_test']:.1f} against "
                      f"{authors_result['metrics']['zs_test']:.1f} %)" if authors_result is not None else "") + ".")
    return " ".join([lead, *out])


#: the ablation's numbers: key -> (what the details call it, what the verdict calls it)
_ABLATION_KEYS = {"zs_test": ("class read from sampled z (test)", "sampled z"),
                  "z_test": ("class read from the z means (test)", "the z means"),
                  "s_test": ("class read from s (test)", "the class read from s"),
                  "swap_acc": ("swaps judged as the class source's digit",
                               "the swaps judged as the class source's digit"),
                  "swap_leak": ("swaps judged as the style source's digit",
                                "the swaps judged as the style source's digit")}


def _ablation_lead(tests: dict) -> str:
    """The ablation's verdict in words, from ``tests``: key -> (p, with the reverse cycle lower)."""
    if not any(np.isfinite(p) for p, _ in tests.values()):
        return ("No test over seeds can say here whether the reverse cycle matters: there are too few seeds or no "
                "spread.")
    sig = {k: lower for k, (p, lower) in tests.items() if report.significant(p)}
    in_z = [k for k in ("zs_test", "z_test") if k in tests]
    lower = [_ABLATION_KEYS[k][1] for k in in_z if sig.get(k) is True]
    higher = [_ABLATION_KEYS[k][1] for k in in_z if sig.get(k) is False]

    def scope(labels):
        return "under both protocols" if len(labels) == 2 else f"only in {labels[0]}" if len(in_z) == 2 \
            else f"in {labels[0]}"

    if lower and higher:
        z = f"keeps the class out of {lower[0]} but lets more of it into {higher[0]}, both significantly"
    elif lower:
        z = f"keeps the class out of z, significantly {scope(lower)}"
    elif higher:
        z = f"lets more of the class into z, significantly {scope(higher)}"
    else:
        z = ""
    others = [k for k in tests if k not in in_z]
    changed = [f"{'lowers' if sig[k] else 'raises'} {_ABLATION_KEYS[k][1]}" for k in others if k in sig]
    if not z and not changed:
        return ("The reverse cycle makes no significant difference to the class in z or to anything else measured."
                if in_z else "The reverse cycle changes nothing measured significantly.")
    if not z:
        z = "makes no significant difference to the class in z" if in_z else ""
    rest = ("significantly " + " and ".join(changed) if changed
            else "changes nothing else measured significantly" if others else "")
    return "The reverse cycle " + ", and ".join(c for c in (z, rest) if c) + "."


def ablation_findings(results: dict, pair=ABLATION) -> str:
    """Does the reverse cycle matter? One plain sentence, then Welch's t-test over seeds on each probe and swap
    number."""
    with_, without = pair
    parts, tests = [], {}
    for key, (what, _) in _ABLATION_KEYS.items():
        a, b = report.per_seed(results, with_, key), report.per_seed(results, without, key)
        if not a or not b:
            continue
        p = report.welch_p(a, b)
        tests[key] = (p, bool(np.mean(a) < np.mean(b)))
        if not np.isfinite(p):
            test = NO_TEST
        else:
            test = f"Welch p = {p:.2g}, " + ("a significant difference" if report.significant(p)
                                              else "no significant difference")
        parts.append(f"{what}: {np.mean(a):.1f} % with the reverse cycle, {np.mean(b):.1f} % without ({test})")
    if not parts:
        return ""
    details = "; ".join(parts) + "."
    return f"{_ablation_lead(tests)} {details[0].upper()}{details[1:]}"


def _style_reference(results: dict, name: str, authors_share: float | None):
    """What a swap's style share is measured against: the true sprites' share where the generator knows it, else
    the authors' released model's (MNIST, judged swaps); None where neither applies."""
    truth = report.per_seed(results, name, "style_share_truth")
    if truth:
        return float(np.mean(truth)), "the true sprites"
    if authors_share is not None and report.per_seed(results, name, "swap_acc"):
        return authors_share, "the authors' model"
    return None


def _swap_lead(results: dict, experiments, authors_share: float | None = None) -> str:
    """The swaps' verdict in words: where they take the class from s (the judge sees the class source's digit in
    most swaps; on sprites, they are nearer the truth than a copy of the style source), and how much style they
    take from z against :func:`_style_reference` (level: within a tenth of it, the claims table's rule)."""
    took, missed, style = [], [], {}
    for name in experiments:
        acc, sw = report.per_seed(results, name, "swap_acc"), report.per_seed(results, name, "swap_mse")
        if acc or sw:
            ok = (np.mean(acc) > 50 if acc
                  else np.mean(sw) < np.mean(report.per_seed(results, name, "copy_style_mse")))
            (took if ok else missed).append(name)
        share, ref = report.per_seed(results, name, "style_share"), _style_reference(results, name, authors_share)
        if share and ref is not None:
            rel = ("as much" if claims.level(np.mean(share), ref[0], relative=0.1)
                   else "less" if np.mean(share) < ref[0] else "more")
            style.setdefault((rel, ref[1]), []).append(name)
    if not took and not missed:
        return ""
    head = ("The swaps take the class from s in every experiment" if not missed
            else "The swaps do not take the class from s in any experiment" if not took
            else f"The swaps take the class from s in {report.series(took)} but not in {report.series(missed)}")
    if not style:
        return head + "."
    parts = [f"{rel} style from z {'as' if rel == 'as much' else 'than'} {what} in {report.series(names)}"
             for (rel, what), names in style.items()]
    return f"{head}; they take " + ", and ".join(parts) + "."


def swap_findings(results: dict, experiments=tuple(EXPERIMENTS), authors_result: dict | None = None) -> str:
    """What the swaps show: one plain sentence, then one sentence of numbers per experiment. ``authors_result``:
    the authors' released model, whose style share the MNIST swaps are measured against."""
    out = []
    for name in experiments:
        parts = []
        share, truth = (report.per_seed(results, name, "style_share"),
                        report.per_seed(results, name, "style_share_truth"))
        if share:
            parts.append(f"the style source accounts for {_ms(results, name, 'style_share')} of the swaps' pixel "
                         "variance" + (f" (true sprites: {np.mean(truth):.1f} %)" if truth else ""))
        if report.per_seed(results, name, "swap_acc"):
            parts.append(f"the judge sees the class source's digit in {_ms(results, name, 'swap_acc')} of the swaps "
                         f"and the style source's in {_ms(results, name, 'swap_leak')}")
        sw = report.per_seed(results, name, "swap_mse")
        if sw:
            cmp = []
            for key, what in (("copy_style_mse", "copying the style source"),
                              ("copy_class_mse", "copying the class source")):
                cp = report.per_seed(results, name, key)
                rel = "below" if np.mean(sw) < np.mean(cp) else "not below"
                cmp.append(f"{rel} the {np.mean(cp):.4f} of {what} ({report.paired_text(sw, cp)})")
            parts.append(f"the swaps are {np.mean(sw):.4f} (MSE) from the true sprites, " + " and ".join(cmp)
                         + f", with reconstructions at {np.mean(report.per_seed(results, name, 'recon_mse')):.4f}")
        if parts:
            out.append(f"{name}: " + "; ".join(parts) + ".")
    if not out:
        return ""
    authors_share = (authors_result or {}).get("metrics", {}).get("style_share")
    if authors_share is not None:
        out.append(f"The authors' model: the style source accounts for {authors_share:.1f} % of its swaps' pixel "
                   "variance.")
    lead = _swap_lead(results, experiments, authors_share)
    return " ".join([lead, *out] if lead else out)


def degenerate_findings(results: dict, experiments=TABLE_EXPERIMENTS) -> str:
    """Which experiments have z reading the class better than s on test codes: the degenerate direction in
    which s holds little and z holds everything (reference issue #3). The page embeds it in a paragraph."""
    found = {}
    for name in experiments:
        z, s = report.per_seed(results, name, "z_test"), report.per_seed(results, name, "s_test")
        if z and s and np.mean(s) < np.mean(z):
            found[name] = f"the class is read from s at {np.mean(s):.1f} %, from z at {np.mean(z):.1f} %"
    if not found:
        return "In every experiment above, s reads the class better than z: none is in that degenerate state."
    details = (f"There {next(iter(found.values()))}" if len(found) == 1
               else "; ".join(f"in {name} {nums}" for name, nums in found.items()))
    return (f"At this training length {report.series(found)} {'is' if len(found) == 1 else 'are'} in that degenerate "
            f"direction: z reads the class better than s. {details[0].upper()}{details[1:]}.")
