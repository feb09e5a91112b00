"""The module map of docs/architecture.md, enforced: which module may import what.

Imports are read from the source (module level and inside functions; ``if TYPE_CHECKING:``
blocks are annotations, not dependencies). The rules: the core never imports the command-line
layer; only the terminal layer touches typer and rich; only ``client`` sends HTTP (``settings``
may parse a URL with httpx); the simulator imports nothing of the harness, so it stays an
independent oracle; and the core's module-level imports form no cycle.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "jainam_validate"
if PACKAGE.parent.name == "mutants":  # mutmut's copy: the sources are rewritten, not ours
    pytest.skip("reads the sources, which mutmut has rewritten", allow_module_level=True)
CLI_LAYER = {
    "cli", "terminal", "options", "completion", "launcher", "__main__", "boundary",
    "evidence_commands",
}  # fmt: skip


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Fully qualified names a module imports (``jainam_validate.x`` as ``x``)."""
    found: set[str] = set()

    def visit(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other, depth)
                continue
            nested = depth + isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if top_level_only and nested:
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "jainam_validate":
                    found.update(f"jainam_validate.{alias.name}" for alias in child.names)
                else:
                    found.add(child.module)
            visit(child, nested)

    visit(ast.parse(path.read_text()), 0)
    return {
        name.removeprefix("jainam_validate.") if name.startswith("jainam_validate.") else name
        for name in found
    }


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}
CORE = {m for m in MODULES if m not in CLI_LAYER}


def test_the_map_sees_every_module() -> None:
    assert {"cli", "terminal", "redact", "harness", "sessions", "simulator.app"} <= set(MODULES)


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_never_imports_the_command_line(module: str) -> None:
    imported = _imports(MODULES[module])
    assert not imported & CLI_LAYER, f"{module} imports {imported & CLI_LAYER}"
    assert not {i for i in imported if i.split(".")[0] in ("typer", "rich")} - {"rich"}, module


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_client_sends_http(module: str) -> None:
    uses_httpx = any(i.split(".")[0] == "httpx" for i in _imports(MODULES[module]))
    assert not uses_httpx or module in ("client", "settings"), f"{module} imports httpx"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("simulator")))
def test_the_simulator_stands_apart(module: str) -> None:
    ours = {i for i in _imports(MODULES[module]) if i in MODULES}
    outside = {i for i in ours if not i.startswith("simulator")}
    assert not outside, f"{module} imports {outside}: the simulator must stay an independent oracle"


def test_module_level_imports_have_no_cycle() -> None:
    graph = {
        m: {i for i in _imports(p, top_level_only=True) if i in MODULES and i != m}
        for m, p in MODULES.items()
    }
    try:
        TopologicalSorter(graph).static_order()
    except CycleError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_600_lines(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= 600, f"{module} has {lines} lines: split it by what it holds"
