"""The chapter modules' imports (issue 29): no import cycle among them, lazy imports inside functions included,
and no chapter reaching into another module's private names (shared helpers live in vaelab/chapters/shared.py)."""
import ast
import sys

from vaelab import REPO

CHAPTERS = REPO / "vaelab" / "chapters"


def imports(path) -> tuple[set, list]:
    """(sibling chapter modules imported anywhere in the file, private names used from them)."""
    tree = ast.parse(path.read_text())
    siblings = {p.stem for p in CHAPTERS.glob("*.py")} - {"__init__"}
    found, aliases, private = set(), {}, []
    package = {(1, None), (2, "chapters"), (0, "vaelab.chapters")}  # ., ..chapters, vaelab.chapters
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            where = (node.level, node.module)
            if where in package:  # from . import x as y
                for a in node.names:
                    if a.name in siblings:
                        found.add(a.name)
                        aliases[a.asname or a.name] = a.name
                continue
            for level, prefix in ((1, ""), (2, "chapters."), (0, "vaelab.chapters.")):
                name = (node.module or "")[len(prefix):] if (node.module or "").startswith(prefix) else None
                if node.level == level and name in siblings:  # from .x import a, _b
                    found.add(name)
                    private += [f"{name}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):  # import vaelab.chapters.x as y
            for a in node.names:
                name = a.name.removeprefix("vaelab.chapters.")
                if a.name.startswith("vaelab.chapters.") and name in siblings:
                    found.add(name)
                    if a.asname:
                        aliases[a.asname] = name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            private.append(f"{aliases[node.value.id]}.{node.attr}")
    return found - {path.stem}, private


def test_no_import_cycle_and_no_private_names_across_chapter_modules():
    graph, bad = {}, []
    for path in sorted(CHAPTERS.glob("*.py")):
        graph[path.stem], private = imports(path)
        bad += [f"{path.name} uses {p}" for p in private]
    assert not bad, "\n".join(bad)

    def cycle_from(node, stack):
        for nxt in graph.get(node, ()):
            if nxt in stack:
                return stack[stack.index(nxt):] + [nxt]
            found = cycle_from(nxt, stack + [nxt])
            if found:
                return found
        return None

    for start in graph:
        cycle = cycle_from(start, [start])
        assert cycle is None, " -> ".join(cycle)


def test_the_check_sees_a_private_name_and_a_lazy_import(tmp_path, monkeypatch):
    a = tmp_path / "a.py"
    a.write_text("from . import b as bb\n\ndef f():\n    from .c import _hidden\n    return bb._x\n"
                 "import vaelab.chapters.d as dd\nfrom vaelab.chapters.e import _y\nfrom ..chapters import f\n"
                 "dd._z\n")
    for name in "bcdef":
        (tmp_path / f"{name}.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "CHAPTERS", tmp_path)
    found, private = imports(a)
    assert found == set("bcdef") and sorted(private) == ["b._x", "c._hidden", "d._z", "e._y"]
