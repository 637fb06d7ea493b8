"""Architecture boundaries, read from the source with ast: services share only contracts and kit."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT_MAY_IMPORT_FROM_CONTRACTS = {"contracts", "contracts.envelope", "contracts.catalog", "contracts.topics"}


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) for every import; relative ones are resolved against `package`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from services import reports` imports the module services.reports
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names
                         if _is_module(f"{module}.{alias.name}"))
    return found


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parent.parts)


def _python_files(directory: str) -> list[Path]:
    files = sorted((ROOT / directory).rglob("*.py"))
    assert files, f"no Python files under {directory}/"
    return files


def _offenders(directory: str, forbidden) -> list[str]:
    offenders = []
    for path in _python_files(directory):
        for line, module in _imports(path.read_text(encoding="utf-8"), _package_of(path)):
            reason = forbidden(path, module)
            if reason:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({reason})")
    return sorted(set(offenders))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_checker_sees_relative_and_from_package_imports():
    source = "import os\nfrom ..alerts import models\nfrom . import handlers\nfrom services import milestones\n"
    modules = {module for _, module in _imports(source, "services.reports")}
    assert {"os", "services.alerts", "services.alerts.models", "services.reports", "services.reports.handlers",
            "services.milestones"} <= modules


def test_no_service_imports_another_service():
    def forbidden(path: Path, module: str) -> str | None:
        own = path.relative_to(ROOT).parts[1]
        parts = module.split(".")
        if parts[0] == "services" and len(parts) > 1 and parts[1] != own:
            return f"services.{own} may only talk to services.{parts[1]} through events"
        return None

    offenders = _offenders("services", forbidden)
    assert not offenders, "cross-service imports:\n  " + "\n  ".join(offenders)


def test_kit_holds_no_domain():
    def forbidden(path: Path, module: str) -> str | None:
        if _within(module, "services"):
            return "kit is plumbing and may not depend on a service"
        if _within(module, "contracts") and module not in KIT_MAY_IMPORT_FROM_CONTRACTS:
            return "kit may use only the envelope, the catalog and the topics"
        return None

    offenders = _offenders("kit", forbidden)
    assert not offenders, "kit importing domain code:\n  " + "\n  ".join(offenders)


def test_contracts_depend_on_neither_kit_nor_services():
    def forbidden(path: Path, module: str) -> str | None:
        if _within(module, "kit") or _within(module, "services"):
            return "contracts are shared by every service and must stand alone"
        return None

    offenders = _offenders("contracts", forbidden)
    assert not offenders, "contracts importing kit or services:\n  " + "\n  ".join(offenders)
