"""The firmware's layers point down only (docs/architecture.md, "Layers"): every import in
firmware/, read with ast (lazy imports inside functions included), stays within what its
layer may use, no two modules import each other round a cycle, and only main.py knows
the board. And the firmware asks no object what it has: the hardware contract
(firmware/hardware.py) says it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"

# What each layer may import besides itself, bottom up. A name of none of these is
# MicroPython's own (asyncio, framebuf, micropython, os, tls, ...).
MAY_USE = {
    "codec": set(),
    "crypto": set(),
    "hardware": set(),
    "config": set(),
    "kinds": set(),
    "drivers": set(),
    "journal": {"codec", "crypto", "kinds"},
    "host": {"codec", "crypto", "kinds"},
    "ui": {"drivers"},
    "app": {"ui", "drivers", "host", "journal", "codec", "crypto", "kinds"},
    "main": {"app", "ui", "config", "board"},
}
BOARD_ONLY = {"board"}  # the board's module: main.py's to import, nobody else's


def _module_name(path: Path) -> str:
    rel = path.relative_to(FIRMWARE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(FIRMWARE.rglob("*.py"))
            if p.name != "manifest.py"}


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The firmware module a dotted name means (a package's module, or the package)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def imports(path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, name) of every import in the file, anywhere in it: a firmware module's name
    where it is one, else the top-level name (MicroPython's modules, the board)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            # `from app import strings` names the module app.strings
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            mod = _resolve(name, modules)
            out.append((node.lineno, mod or name.split(".")[0]))
    return out


def layer(module: str) -> str:
    return module.split(".")[0]


def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: {i for _, i in imports(p, modules) if i in modules and i != m}
            for m, p in modules.items()}


def test_every_firmware_module_has_a_layer():
    assert {layer(m) for m in _modules()} <= set(MAY_USE)


def test_imports_point_down():
    modules = _modules()
    tops = {layer(m) for m in modules}
    bad = []
    for m, path in modules.items():
        own = layer(m)
        for line, name in imports(path, modules):
            top = layer(name)
            if top == own or (top not in tops and top not in BOARD_ONLY):
                continue  # its own layer, or MicroPython's
            if top not in MAY_USE[own]:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {name}")
    assert not bad, "imports that point up or sideways:\n" + "\n".join(bad)


def test_no_import_cycle():
    g = graph()
    seen, on_path, cycles = set(), [], []

    def visit(m):
        if m in on_path:
            cycles.append(on_path[on_path.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        on_path.append(m)
        for n in sorted(g[m]):
            visit(n)
        on_path.pop()

    for m in sorted(g):
        visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_layer_cycle():
    edges = {(layer(a), layer(b)) for a, bs in graph().items() for b in bs
             if layer(a) != layer(b)}
    both = sorted((a, b) for a, b in edges if (b, a) in edges and a < b)
    assert not both, f"layers that import each other: {both}"


def test_the_firmware_asks_no_board_what_it_has():
    # getattr(hw.clock, "sync_from_host", None) and the like: every board provides every
    # member of firmware/hardware.py, whose missing() is the one place that asks
    bad = []
    for m, path in _modules().items():
        if m == "hardware":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr")):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id}()")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("case", [
    ("ui", "app", False), ("drivers", "ui", False), ("drivers", "app", False),
    ("journal", "app", False), ("host", "ui", False), ("codec", "journal", False),
    ("crypto", "app", False), ("app", "ui", True), ("ui", "drivers", True),
    ("journal", "crypto", True),
])
def test_the_rules_say_what_the_issue_asks(case):
    # the directions the layering is about (issue #16), spelled out
    low, high, allowed = case
    assert (high in MAY_USE[low]) is allowed


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    fw = tmp_path / "firmware"
    (fw / "ui").mkdir(parents=True)
    (fw / "app").mkdir()
    (fw / "app" / "strings.py").write_text("from ui import entry\n")
    (fw / "ui" / "entry.py").write_text("def f():\n    from app.strings import t\n")
    monkeypatch.setitem(globals(), "FIRMWARE", fw)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="ui imports app.strings"):
        test_imports_point_down()
    with pytest.raises(AssertionError, match="app.strings -> ui.entry -> app.strings"):
        test_no_import_cycle()
    with pytest.raises(AssertionError, match=r"\('app', 'ui'\)"):
        test_no_layer_cycle()
