"""The book's chapters: its pages (:func:`pages`, read from ``book/_toc.yml``, which the Makefile reads too) and
what each page that trains calls to train or load its runs, without its tables and figures (:data:`RUNS`).

``benchmarks/book_profile.py`` times the :data:`RUNS` calls with ``train=True``; :mod:`vaelab.check_weights` runs
them under :data:`vaelab.runs.CENSUS` to list every run the pages declare. Each takes the page's
:class:`~vaelab.params.Params` and returns ``{key: {"record", ...}}`` for the runs it obtained.
"""
from __future__ import annotations

from .. import REPO

TOC = REPO / "book" / "_toc.yml"


def pages(toc=TOC) -> list[str]:
    """The notebook pages (``book/<name>.ipynb``) in reading order, as ``book/_toc.yml`` lists them."""
    import yaml

    with open(toc) as f:
        entries = yaml.safe_load(f)["chapters"]
    names = [e["file"].split("/", 1)[1] for e in entries if e.get("file", "").startswith("book/")]
    return [n for n in names if (toc.parent / f"{n}.ipynb").is_file()]


def toy_csvae(P, progress: bool = False) -> dict:
    from . import toy_csvae as toy
    from .toy_csvae import length as length
    out = toy.run(P, progress=progress)
    if P.profile == "book":  # the committed curve runs the page draws (seed 0; loaded, never trained)
        out.update({("length", name): r for name, r in length.load_all(None).items()})
    return out


def celeba_csvae(P, progress: bool = False) -> dict:
    from . import celeba_csvae as cc
    from . import domain_translation as dt
    dataset = P.extra.get("dataset", "toyfaces")
    D = dt.load_data(cc.PROFILES[P.profile], dataset, P.data_root, progress=progress)
    J = dt.judge(P, D, progress=progress)
    from .celeba_csvae import ablation
    R = cc.run(P, D, J, progress=progress)
    out = {("judge", 0): J, **R, **ablation.run(P, D, J, R, progress=progress, evaluate=False)}
    if P.profile == "book" and dataset == "toyfaces":  # the committed curve runs the page draws (loaded, never trained)
        from .celeba_csvae import length
        out.update({("length", m): r for m, r in length.load_all(length.census_context(), evaluate=False).items()})
    return out


def cycle_vae(P, progress: bool = False) -> dict:
    from . import cycle_vae as cv
    from .cycle_vae import length as cvl
    sprites = P.extra.get("sprites", "toysprites")
    D = cv.load_data(("mnist", "sprites"), cv.PROFILES[P.profile], P.data_root, sprites)
    out = cv.run(P, cv.experiments(sprites), D=D, progress=progress)
    if P.profile == "book":
        long = cvl.load(cvl.CURVE_RUN)  # the reference-length run the page draws, when committed
        if long is not None:
            out[("length", cvl.CURVE_RUN.key)] = long
    return out


def vae_playground(P, progress: bool = False) -> dict:
    from . import vae_playground as vp
    from .vae_playground import conjoint as vc
    from .vae_playground import length as vl
    R = vp.run_points(P, progress=progress)
    D = vc.data(vp.PROFILES[P.profile], root=P.data_root / "mnist")
    J = vc.judges(P, D, progress=progress)
    out = {**R, **J["runs"], **vc.run(P, D, J, progress=progress)}
    if P.profile == "book":  # the committed curve run the page draws (seed 0; loaded, never trained)
        out.update({("length", name): r for name, r in vl.load_all(None, None).items()})
    return out


def acai(P, progress: bool = False, part: tuple = (0, 1)) -> dict:
    """``part=(k, n)``: every n-th of the chapter's runs from the k-th."""
    from . import acai as ac
    D = ac.load_data(("lines", "mnist"), ac.PROFILES[P.profile], P.data_root)
    k, n = part
    out = ac.run(P, D, todo=ac.runs_of(ac.PROFILES[P.profile], P.seeds)[k::n], progress=progress)
    if P.profile == "book" and k == 0:  # the committed curve runs the page draws (seed 0; loaded, never trained)
        from .acai import length as al
        from .acai import mnist_length as ml
        out.update({("length", m): r for m, r in al.load_all(D["lines"], evaluate=False).items()})
        out.update({("mnist length", m): r for m, r in ml.load_all(D["mnist"], evaluate=False).items()})
    return out


def domain_translation(P, progress: bool = False) -> dict:
    from . import domain_translation as dt
    dataset = P.extra.get("dataset", "toyfaces")
    D = dt.load_data(dt.PROFILES[P.profile], dataset, P.data_root, progress=progress)
    J = dt.judge(P, D, progress=progress)
    out = {("judge", 0): J, **dt.run(P, D, J, progress=progress)}
    if P.profile == "book" and dataset == "toyfaces":  # the committed curve runs the page draws (loaded, never trained)
        from .domain_translation import length as dl
        out.update({("length", d): r for d, r in dl.load_all(D, None).items()})
    return out


#: the chapters that train runs, in reading order (the datasets page trains nothing)
RUNS = {"toy_csvae": toy_csvae, "celeba_csvae": celeba_csvae, "cycle_vae": cycle_vae,
        "vae_playground": vae_playground, "acai": acai, "domain_translation": domain_translation}
