"""The layering of access_core (docs/architecture.md): a package imports only packages below it.

Read from the source with `ast`, so lazy imports inside functions count as much as top-level ones.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ACCESS_CORE = ROOT / "layers" / "access_core" / "access_core"

# Top to bottom; packages on one row are independent of each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bootstrap",),
    ("http",),
    ("admin",),
    ("ingest", "sync", "unlock"),
    ("membership", "reservations"),
    ("kisi", "pushpress", "infrastructure"),
    ("domain",),
)

# Imports that break the layering today, each with the reason it is still there. The list only
# shrinks: an entry that no longer matches an import fails the test too.
# (importing package, imported package) -> why it must go up or sideways; none today.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing file, relative to the package root
    source: str  # its top-level package inside access_core
    target: str  # the imported top-level package inside access_core
    line: int


def access_core_imports(package_root: Path) -> list[Import]:
    """Every import of one access_core package by another, anywhere in a module."""
    found: list[Import] = []
    for path in sorted(package_root.rglob("*.py")):
        relative = path.relative_to(package_root).with_suffix("").parts
        if relative == ("__init__",):
            continue
        source = relative[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "access_core":
                    names = [f"access_core.{alias.name}" for alias in node.names]
                elif node.module.startswith("access_core."):
                    names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("access_core.")]
            line = node.lineno
            for name in names:
                target = name.split(".")[1]
                if target != source:
                    found.append(Import("/".join(relative), source, target, line))
    return found


def upward_imports(
    imports: list[Import], layers: tuple[tuple[str, ...], ...] = LAYERS
) -> list[Import]:
    """The imports of a package on the same row or a row above (and of an unknown package)."""
    rank = {package: row for row, packages in enumerate(layers) for package in packages}
    return [
        found
        for found in imports
        if found.source not in rank
        or found.target not in rank
        or rank[found.target] <= rank[found.source]
    ]


def test_every_package_is_in_a_layer() -> None:
    packages = {p.name for p in ACCESS_CORE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.stem for p in ACCESS_CORE.glob("*.py") if p.stem != "__init__"}
    layered = {package for row in LAYERS for package in row}
    assert packages | modules == layered


def test_packages_import_only_downward() -> None:
    violations = [
        f"{found.module}:{found.line} imports access_core.{found.target}"
        for found in upward_imports(access_core_imports(ACCESS_CORE))
        if (found.source, found.target) not in KNOWN_EXCEPTIONS
    ]
    assert violations == []


def test_known_exceptions_are_still_needed() -> None:
    pairs = {(f.source, f.target) for f in upward_imports(access_core_imports(ACCESS_CORE))}
    assert set(KNOWN_EXCEPTIONS) <= pairs, "remove the exceptions that no longer occur"


def test_the_check_finds_an_upward_import(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "admin").mkdir()
    (tmp_path / "domain" / "model.py").write_text(
        "def later() -> None:\n    from access_core.admin import service\n"
    )
    (tmp_path / "admin" / "service.py").write_text("from access_core.domain import model\n")
    layers = (("admin",), ("domain",))
    found = upward_imports(access_core_imports(tmp_path), layers)
    assert [(f.module, f.target, f.line) for f in found] == [("domain/model", "admin", 2)]


# (layer, package): the HTTP client kit the two clients share ships in the Kisi client's layer.
CLIENT_PACKAGES = [
    ("kisi_client", "kisi_client"),
    ("kisi_client", "http_client_kit"),
    ("pushpress_client", "pushpress_client"),
]


def imported_top_levels(package: Path) -> set[str]:
    """The top-level packages every module of `package` imports, lazy imports included."""
    found: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


@pytest.mark.parametrize(("client_layer", "client_package"), CLIENT_PACKAGES)
def test_the_client_layers_know_nothing_of_the_bridge(
    client_layer: str, client_package: str
) -> None:
    package = ROOT / "layers" / client_layer / client_package
    assert package.is_dir()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("access_core", "local_runtime", "boto")), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("access_core", "boto")), path


def test_the_http_client_kit_knows_no_api_and_the_clients_not_each_other() -> None:
    layers = ROOT / "layers"
    kit = imported_top_levels(layers / "kisi_client" / "http_client_kit")
    assert not kit & {"kisi_client", "pushpress_client"}
    assert "kisi_client" not in imported_top_levels(
        layers / "pushpress_client" / "pushpress_client"
    )
    assert "pushpress_client" not in imported_top_levels(layers / "kisi_client" / "kisi_client")


def test_the_emulator_kit_knows_no_emulator_and_the_emulators_not_each_other() -> None:
    local = ROOT / "local"
    assert not imported_top_levels(local / "emulator_kit") & {"kisi_emulator", "pushpress_emulator"}
    assert "kisi_emulator" not in imported_top_levels(local / "pushpress_emulator")
    assert "pushpress_emulator" not in imported_top_levels(local / "kisi_emulator")


def test_the_layers_never_import_local_code() -> None:
    for path in (ROOT / "layers").rglob("*.py"):
        text = path.read_text()
        assert "local_runtime" not in text, path
        assert "kisi_emulator" not in text, path


def test_the_pushpress_room_imports_only_the_domain_its_client_and_pydantic() -> None:
    allowed_third_party = {"pushpress_client", "pydantic", "pydantic_core"}
    package = ACCESS_CORE / "pushpress"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                top = name.split(".")[0]
                if top == "access_core":
                    assert name.split(".")[1] in {"domain", "pushpress"}, (path, name)
                elif top != "__future__" and top not in sys.stdlib_module_names:
                    assert top in allowed_third_party, (path, name)
