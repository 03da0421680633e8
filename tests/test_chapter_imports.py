"""The chapters' imports (issue 29): one package per chapter under vaelab/chapters/, no import cycle between
chapters or between modules (lazy imports inside functions included; a submodule importing its own package is
how Python loads it, not a cycle), and no chapter reaching into another chapter's private names (shared helpers
live in vaelab/chapters/shared.py and vaelab/report.py)."""
import ast
from importlib.util import resolve_name

from vaelab import REPO

CHAPTERS = REPO / "vaelab" / "chapters"
PACKAGE = "vaelab.chapters"


def modules(root=None) -> dict:
    """``{dotted name: path}`` of every module under the chapters' folder."""
    root = root or CHAPTERS
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts])] = path
    return out


def chapter(module: str) -> str:
    """The chapter a module belongs to: ``vaelab.chapters.cycle_vae.length`` -> ``cycle_vae``."""
    return module.removeprefix(PACKAGE + ".").split(".")[0]


def imports(module: str, path, known: dict) -> tuple[set, list]:
    """(chapter modules that ``module`` imports anywhere in its file, private names it takes from modules of
    another chapter)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found, aliases, private = set(), {}, []

    def other(target):
        return target in known and chapter(target) != chapter(module)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in known:                  # from pkg import submodule as alias
                    found.add(sub)
                    aliases[a.asname or a.name] = sub
                elif base in known:               # from module import name
                    found.add(base)
                    if a.name.startswith("_") and other(base):
                        private.append(f"{base}.{a.name}")
        elif isinstance(node, ast.Import):        # import vaelab.chapters.x as y
            for a in node.names:
                if a.name in known:
                    found.add(a.name)
                    if a.asname:
                        aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and other(aliases[node.value.id])):
            private.append(f"{aliases[node.value.id]}.{node.attr}")
    return found - {module}, private


def _cycle(graph: dict):
    def from_(node, stack):
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                return stack[stack.index(nxt):] + [nxt]
            found = from_(nxt, stack + [nxt])
            if found:
                return found
        return None

    for start in sorted(graph):
        if found := from_(start, [start]):
            return found
    return None


def check(root=None) -> tuple[list, list, list]:
    """(private names taken across chapters, a module cycle or [], a chapter cycle or [])."""
    known = modules(root)
    graph, chapters, bad = {}, {}, []
    for module, path in known.items():
        found, private = imports(module, path, known)
        # a submodule importing its own package (or a parent) is how Python loads it: not a cycle
        graph[module] = {m for m in found if not module.startswith(m + ".")}
        chapters.setdefault(chapter(module), set()).update(chapter(m) for m in found if chapter(m) != chapter(module))
        bad += [f"{path.relative_to(root or CHAPTERS)} uses {p}" for p in private]
    return bad, _cycle(graph) or [], _cycle(chapters) or []


def test_every_chapter_is_a_package():
    from vaelab.chapters import registry

    for page in registry.pages():
        if page in ("datasets", "zoo"):
            continue                              # pages with no chapter module of their own
        assert (CHAPTERS / page / "__init__.py").exists(), f"vaelab/chapters/{page}/ is not a package"
    loose = sorted(p.name for p in CHAPTERS.glob("*.py"))
    assert loose == ["__init__.py", "registry.py", "results.py", "shared.py"], loose


def test_no_import_cycle_and_no_private_names_across_chapters():
    bad, module_cycle, chapter_cycle = check()
    assert not bad, "\n".join(bad)
    assert not module_cycle, " -> ".join(module_cycle)
    assert not chapter_cycle, " -> ".join(chapter_cycle)


def test_the_check_sees_private_names_lazy_imports_and_cycles(tmp_path):
    def write(rel, text=""):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    write("__init__.py")
    write("a/__init__.py", "from ..b import helper\n\ndef f():\n    from ..b.inner import _hidden\n"
                           "    from . import tools as t\n    return t._own\n")
    write("a/tools.py", "from . import _shared_inside_a\nimport vaelab.chapters.c as cc\ncc._z\n")
    write("b/__init__.py", "def f():\n    from vaelab.chapters.a import tools\n    return tools._x\n")
    write("b/inner.py", "from .. import b\n")        # a submodule importing its own package: no cycle
    write("c.py", "")
    bad, module_cycle, chapter_cycle = check(tmp_path)
    # private names from another chapter are caught, lazily imported ones too; a chapter's own are allowed
    assert sorted(p.split(" uses ")[1] for p in bad) == [
        "vaelab.chapters.a.tools._x", "vaelab.chapters.b.inner._hidden", "vaelab.chapters.c._z"]
    assert chapter_cycle in (["a", "b", "a"], ["b", "a", "b"])
    assert module_cycle == []
    write("b/__init__.py", "")
    write("b/inner.py", "from ..a import tools\n")
    write("a/tools.py", "from ..b import inner\n")
    _, module_cycle, _ = check(tmp_path)
    assert set(module_cycle) == {"vaelab.chapters.a.tools", "vaelab.chapters.b.inner"}
