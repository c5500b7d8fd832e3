"""Stages import only to their left in the data flow; the runtime is a leaf library.

The order (``docs``: architecture), left to right::

    core → audio → data → synth → features/augment → models → train → evaluate → quantize → export
         → runtime;   wings on top: quickstart, judge, satellite, mine, tune → api → cli

The rule, checked on every import in the package (module level, inside functions and under
``TYPE_CHECKING``):

1. no module imports a stage to its right; ``features`` and ``augment`` share a rank, as do the
   ``quickstart``, ``judge``, ``mine`` and ``tune`` wings (``mine`` closes the loop: it scores a model as
   evaluation does and adds its false accepts to the data; ``tune`` searches recipes, trained through
   a function the facade hands it);
2. except the **runtime**: it sits at the end of the data flow (it runs the exported files) but is a
   library the measuring stages use (evaluation scores models through it, exporters write the graph
   interface it reads). It imports only core, ``audio``, ``features`` and ``models`` (the torch backend,
   lazily), and any stage to the right of ``models`` may import it;
3. the **satellite** wing (the virtual satellite) runs what a device runs: like the runtime it imports
   only core, ``audio``, ``features``, ``models`` and the ``runtime`` itself, never a training stage;
4. core (``config``, ``artifact``, ``metadata``, ``registry``, ``events``, ``errors``, ``fsio``, ``home``)
   imports only core.
"""

from __future__ import annotations

import ast
from pathlib import Path

import wakesmith

PACKAGE = Path(wakesmith.__file__).parent
CORE = frozenset(
    {"__init__", "config", "artifact", "metadata", "registry", "events", "errors", "fsio", "home"}
)
RANKS = {
    "core": 0,
    "audio": 1,
    "data": 2,
    "synth": 3,
    "features": 4,
    "augment": 4,
    "models": 5,
    "train": 6,
    "evaluate": 7,
    "quantize": 8,
    "export": 9,
    "runtime": 10,
    "quickstart": 11,
    "judge": 11,
    "satellite": 11,
    "mine": 11,
    "tune": 11,
    "api": 12,
    "jobs": 13,
    "server": 13,
    "cli": 13,
}
RUNTIME_IMPORTS = frozenset({"core", "audio", "features", "models"})
"""What the runtime may import."""
SATELLITE_IMPORTS = RUNTIME_IMPORTS | {"runtime"}
"""What the satellite wing may import: what a device runs, no training stage."""


def stage_of(module: str) -> str:
    """``wakesmith.export.onnx`` → ``export``; ``wakesmith.config`` → ``core``."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return "core" if top in CORE else top


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _package_member(name: str) -> str:
    is_module = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return f"wakesmith.{name}" if is_module else "wakesmith"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` for every wakesmith import in the file, wherever it is."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                name = module_name(path)
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base == "wakesmith":  # from wakesmith import api (a module), __version__ (core)
                found += [(node.lineno, _package_member(a.name)) for a in node.names]
            else:
                found.append((node.lineno, base))
    return [(line, m) for line, m in found if m == "wakesmith" or m.startswith("wakesmith.")]


def allowed(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    if importer == "runtime":
        return imported in RUNTIME_IMPORTS
    if importer == "satellite":
        return imported in SATELLITE_IMPORTS
    if imported == "runtime":
        return RANKS[importer] > RANKS["models"]
    return RANKS[imported] <= RANKS[importer]


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = stage_of(module_name(path))
        assert importer in RANKS, f"{path}: stage {importer!r} has no place in the order; add it to RANKS"
        for line, module in imported_modules(path):
            imported = stage_of(module)
            assert imported in RANKS, f"{path}:{line} imports {module}, of unknown stage {imported!r}"
            if not allowed(importer, imported):
                found.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {importer} imports {module} ({imported})"
                )
    return found


def test_no_stage_imports_a_stage_to_its_right() -> None:
    assert violations() == []


def test_the_checker_sees_function_level_and_from_package_imports(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from wakesmith.export import onnx\n\nfrom wakesmith import api\n")
    assert sorted(imported_modules(source)) == [(2, "wakesmith.export"), (4, "wakesmith.api")]
    assert not allowed("evaluate", "export")
    assert allowed("evaluate", "runtime") and not allowed("data", "runtime")
    assert not allowed("runtime", "evaluate") and allowed("runtime", "features")
    assert not allowed("core", "data") and allowed("cli", "api") and not allowed("api", "cli")
    assert allowed("satellite", "runtime") and not allowed("satellite", "export")
    assert not allowed("satellite", "judge") and allowed("api", "satellite")
