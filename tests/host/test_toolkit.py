"""The host toolkit holds one of each role (issue 16, "One host toolkit"): one module that
finds and runs the interpreter (host_tools/runtime.py), one way to mount a flash image
(host_tools/mp/flashimg.py), one read-only flash inspector, one starter of the host
simulator process, one set of keypad scripts; and host_tools/ never depends on tests/
(tests/ may use host_tools/). Read from the sources with ast: nothing runs."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST_TOOLS = ROOT / "host_tools"
FINDERS = ("micropython", "plain_interpreter", "frozen_interpreter", "Runtime")


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _cpython_tests() -> list[Path]:
    """tests/' CPython modules (tests/device/ and tests/board/device/ are MicroPython's)."""
    return [p for p in _modules(ROOT / "tests")
            if "device" not in p.relative_to(ROOT / "tests").parts]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _strings(tree: ast.Module) -> list[str]:
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_host_tools_never_imports_tests():
    """No module of host_tools/ (its MicroPython scripts included) imports tests or
    builds a path into tests/ (ROOT / "tests" / ...)."""
    bad = []
    for path in _modules(HOST_TOOLS):
        tree = _tree(path)
        bad += [f"{_rel(path)} imports {name}" for name in _imports(tree)
                if name == "tests" or name.startswith("tests.")]
        bad += [f"{_rel(path)} names the folder tests" for s in _strings(tree) if s == "tests"]
    assert not bad, "\n".join(bad)


def test_one_interpreter_finder():
    """Only host_tools/runtime.py defines the interpreter's finders and Runtime, and only it
    sets MICROPYPATH, in host_tools/ and in the tests."""
    defined: dict[str, list[str]] = {}
    for path in _modules(HOST_TOOLS) + _cpython_tests():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in FINDERS:
                defined.setdefault(node.name, []).append(_rel(path))
    assert defined == {name: ["host_tools/runtime.py"] for name in FINDERS}, defined
    sets_path = [_rel(p) for p in _modules(HOST_TOOLS) for node in ast.walk(_tree(p))
                 if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                 and isinstance(node.slice, ast.Constant) and node.slice.value == "MICROPYPATH"]
    assert sets_path == ["host_tools/runtime.py"], sets_path


def test_one_host_simulator_starter():
    """`-m host_tools.hostsim` is spawned in one place: host_tools/hostsim/process.py."""
    starters = []
    for path in _modules(HOST_TOOLS):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.List | ast.Tuple):
                words = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
                if any(words[i:i + 2] == ["-m", "host_tools.hostsim"]
                       for i in range(len(words))):
                    starters.append(_rel(path))
    assert starters == ["host_tools/hostsim/process.py"], starters


def test_one_way_to_mount_a_flash_image():
    """littlefs (VfsLfs2) is mounted by host_tools/mp/flashimg.py only, in the host tools'
    code and in the scripts they hand to MicroPython as strings (the board's own
    mount_flash aside)."""
    mounts = set()
    for path in _modules(HOST_TOOLS):
        tree = _tree(path)
        if any(isinstance(n, ast.Attribute) and n.attr == "VfsLfs2" for n in ast.walk(tree)) \
                or any("VfsLfs2(" in s or "VfsLfs2.mkfs" in s for s in _strings(tree)):
            mounts.add(_rel(path))
    assert mounts == {"host_tools/mp/flashimg.py"}, mounts


def test_one_read_only_flash_inspector():
    """The campaigns keep no inspector of their own; the one there is mounts the image
    read-only and opens every journal read-only."""
    assert not list((HOST_TOOLS / "campaign").glob("mp_*.py"))
    tree = _tree(HOST_TOOLS / "mp" / "inspect_flash.py")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]

    def named(call: ast.Call, name: str) -> bool:
        f = call.func
        return (isinstance(f, ast.Name) and f.id == name) or (
            isinstance(f, ast.Attribute) and f.attr == name)

    def readonly(call: ast.Call) -> bool:
        return any(k.arg == "readonly" and isinstance(k.value, ast.Constant)
                   and k.value.value is True for k in call.keywords)

    mounts = [c for c in calls if named(c, "mount")]
    journals = [c for c in calls if named(c, "Journal")]
    assert mounts and all(readonly(c) for c in mounts)
    assert journals and all(readonly(c) for c in journals)


def test_one_set_of_keypad_scripts():
    """The flows at the keypad live in host_tools/keypad.py: no other host tool drives a
    pre-auth from its amount to its confirmation, and tests/integration/flows.py only
    re-exports them (it presses no key)."""
    drivers = [_rel(p) for p in _modules(HOST_TOOLS)
               if {"请输入金额", "确认键继续"} <= set(_strings(_tree(p)))
               and p.name != "strings_table.py"]
    assert drivers == ["host_tools/keypad.py"], drivers
    flows = _tree(ROOT / "tests" / "integration" / "flows.py")
    assert not [n for n in ast.walk(flows)
                if isinstance(n, ast.Attribute) and n.attr in ("press", "type", "swipe")]
