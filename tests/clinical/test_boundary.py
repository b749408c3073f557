"""acuback.clinical stays pure: no Django, no acuback app imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import acuback.clinical

CLINICAL = Path(acuback.clinical.__file__).parent
APPS = ("accounts", "patients", "screening", "treatment", "outcomes", "scheduling", "billing",
        "insights", "interop", "audit", "portal", "web")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_module_in_clinical_imports_django_or_an_app():
    offenders = {}
    for path in CLINICAL.rglob("*.py"):
        bad = [
            name for name in _imports(path)
            if name.split(".")[0] == "django"
            or any(name.startswith(f"acuback.{app}") for app in APPS)
        ]
        if bad:
            offenders[str(path.relative_to(CLINICAL))] = bad
    assert offenders == {}


def test_importing_every_clinical_module_loads_no_django():
    modules = [
        "acuback.clinical." + ".".join(p.relative_to(CLINICAL).with_suffix("").parts)
        for p in CLINICAL.rglob("*.py") if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "assert not any(k == 'django' or k.startswith('django.') for k in sys.modules), "
        "sorted(k for k in sys.modules if k.startswith('django'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603
