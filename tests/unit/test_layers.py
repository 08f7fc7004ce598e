"""The layers of docs/architecture.md hold: a walk over every import in hsmshell/ (imports inside
functions included) finds no cycle between packages and no import of a higher layer.

Run as a script it prints the package graph, its cycles and its upward edges:
    python tests/unit/test_layers.py
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "hsmshell"

# From the bottom. A package is a top-level module or folder of hsmshell/ (each backend
# folder is one package of its own). A package may import its own layer and those below.
LAYERS = [
    ("model", {"hsmshell", "status", "errors", "model", "jsontext", "commands", "environment", "config_file",
               "output_sandbox", "record", "client_config", "keyring_store", "crash_report", "fileio"}),
    ("state and audit core", {"state", "audit", "quorum", "transactions"}),
    ("policy", {"policy", "parse", "secret_sources"}),
    ("backends", {"backends", "backends.*"}),
    ("pipeline", {"pipeline", "builtins", "render", "server_failure", "clusters"}),
    ("modes and front ends", {"modes", "ui", "emulate", "admin", "kms", "subcommands"}),
    ("cli", {"cli", "__main__", "warmstart"}),
]



def package_of(module: str, root: Path = ROOT) -> str | None:
    parts = module.split(".")
    if parts[0] != "hsmshell":
        return None
    if len(parts) == 1:
        return "hsmshell"
    if parts[1] == "backends" and len(parts) > 2 and (root / "backends" / parts[2]).is_dir():
        return f"backends.{parts[2]}"
    return parts[1]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(root: Path, module: str) -> bool:
    path = root.parent / Path(*module.split("."))
    return path.with_suffix(".py").exists() or path.is_dir()


def _imported(node: ast.AST, module: str, is_package: bool, root: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    # `from hsmshell import builtins` imports the module hsmshell.builtins
    return [target] + [f"{target}.{alias.name}" for alias in node.names
                       if _exists(root, f"{target}.{alias.name}")]


def import_graph(root: Path = ROOT) -> dict[str, dict[str, set[str]]]:
    """package -> imported package -> the modules that import it."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        source = package_of(module, root)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _imported(node, module, path.name == "__init__.py", root):
                package = package_of(target, root)
                if package is not None and package != source:
                    graph[source][package].add(module)
    return graph


def layer_of(package: str) -> int | None:
    for number, (_, members) in enumerate(LAYERS):
        if package in members or (package.startswith("backends.") and "backends.*" in members):
            return number
    return None


def cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(graph) | {p for targets in graph.values() for p in targets}):
        if node not in index:
            visit(node)
    return found


def upward_edges(graph) -> set[tuple[str, str]]:
    return {(source, target) for source, targets in graph.items() for target in targets
            if layer_of(source) is not None and layer_of(target) is not None
            and layer_of(target) > layer_of(source)}


def sibling_backends(graph) -> set[tuple[str, str]]:
    return {(source, target) for source, targets in graph.items() for target in targets
            if source.startswith("backends.") and target.startswith("backends.")}


def test_every_package_has_a_layer():
    graph = import_graph()
    packages = set(graph) | {p for targets in graph.values() for p in targets}
    missing = sorted(p for p in packages if layer_of(p) is None)
    assert not missing, f"put these packages in a layer of LAYERS ({__file__}): {missing}"


def test_no_package_imports_a_higher_layer():
    graph = import_graph()
    upward = upward_edges(graph)
    found = {edge: sorted(graph[edge[0]][edge[1]]) for edge in upward}
    assert not found, f"imports of a higher layer (move the code to its layer): {found}"


def test_no_two_packages_import_each_other():
    assert cycles(import_graph()) == []


def test_a_backend_imports_no_other_backend():
    siblings = sibling_backends(import_graph())
    assert not siblings, f"shared code belongs in backends/ or below it: {siblings}"


def test_the_walk_sees_imports_inside_functions(tmp_path):
    package = tmp_path / "hsmshell"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model" / "__init__.py").write_text("def f():\n    from hsmshell.cli import main\n")
    (package / "cli.py").write_text("from .model import f\n")
    graph = import_graph(package)
    assert set(graph["model"]) == {"cli"} and set(graph["cli"]) == {"model"}
    assert cycles(graph) == [["cli", "model"]] and ("model", "cli") in upward_edges(graph)


def report() -> None:
    graph = import_graph()
    packages = set(graph) | {p for targets in graph.values() for p in targets}
    edges = sum(len(targets) for targets in graph.values())
    print(f"packages: {len(packages)}  edges: {edges}")
    print(f"cycles: {cycles(graph) or 'none'}")
    upward = upward_edges(graph)
    print(f"upward edges: {len(upward)}")
    for source, target in sorted(upward):
        print(f"  {source} -> {target}  ({', '.join(sorted(graph[source][target]))})")
    siblings = sibling_backends(graph)
    print(f"backend -> backend edges: {sorted(siblings) or 'none'}")


if __name__ == "__main__":
    report()
    sys.exit(0)
