"""The apps depend on each other one way (docs: ARCHITECTURE.md, « Modules »):
``cms`` may import ``votes``, ``fonds`` and ``accounts``; ``votes`` may import ``fonds``
and ``accounts``; ``fonds`` may import ``accounts``; ``accounts`` imports none of them.
Read from the source with ``ast``, so that an import inside a function, a model reached
through ``apps.get_model`` or a module loaded by name counts as much as an import line.
A model field naming an upper app's model by string (``"fonds.Quartier"``) is allowed:
that is how Django declares a relation without importing the model."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: each app may import only those before it.
LAYERS = ["accounts", "fonds", "votes", "cms"]
RANK = {app: rank for rank, app in enumerate(LAYERS)}
# Calls that load a module or a model by name: (function name, how its target is read).
BY_NAME = {"import_module", "__import__", "import_string"}
MODEL_LOOKUPS = {"get_model", "get_app_config"}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """{dotted name: (path, parsed tree)} for every Python module of the four apps,
    migrations included."""
    found = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            found[module_name(path)] = (path, ast.parse(path.read_text(), str(path)))
    return found


MODULES = modules()


def _absolute(module, node):
    """The module an ``ImportFrom`` names, relative levels resolved."""
    if not node.level:
        return node.module
    path = MODULES[module][0]
    package = module.split(".")
    # A package's __init__ is its own package; a plain module's package is its parent.
    package = package[: len(package) - node.level + (path.name == "__init__.py")]
    return ".".join(package + ([node.module] if node.module else []))


def _string_argument(call):
    """The leading string constants of a call's arguments."""
    values = []
    for argument in call.args:
        if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
            break
        values.append(argument.value)
    return values


def _called_name(call):
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    if isinstance(function, ast.Name):
        return function.id
    return None


def references(module):
    """(line, target, how) for each module or app the module depends on: imports at any
    depth, modules loaded by name, and models looked up in the app registry."""
    tree = MODULES[module][1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, "import"
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            for alias in node.names:
                # ``from pkg import mod`` depends on the submodule when there is one.
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if candidate in MODULES else base, "import"
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            strings = _string_argument(node)
            if name in BY_NAME:
                # Loading a module whose name is computed hides the dependency.
                target = strings[0] if strings else "<computed>"
                yield node.lineno, target, name
            elif name in MODEL_LOOKUPS and strings:
                # get_model("votes", "Message") or get_model("votes.Message").
                label = strings[0] if len(strings) > 1 or name == "get_app_config" else None
                label = label or strings[0].split(".")[0]
                yield node.lineno, label, name


def app_of(target):
    return target.split(".")[0]


def upward_references():
    wrong = set()
    for module in MODULES:
        rank = RANK[app_of(module)]
        for line, target, how in references(module):
            if target == "<computed>":
                wrong.add(f"{module}:{line} {how}(…) loads a module whose name is computed")
            elif RANK.get(app_of(target), -1) > rank:
                wrong.add(f"{module}:{line} {how} {target}")
    return sorted(wrong)


def test_no_app_depends_on_an_app_above_it():
    assert upward_references() == []


def cycles():
    """The import cycles between modules of one app (Tarjan's strongly connected
    components), each as a sorted list of module names."""
    graph = {
        module: {
            target
            for _line, target, _how in references(module)
            if target in MODULES and target != module and app_of(target) == app_of(module)
        }
        for module in MODULES
    }
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_within_an_app():
    assert cycles() == []


# The checks themselves must see what they are meant to see.


@pytest.fixture
def fake_module():
    added = []

    def add(name, source, *, package=False):
        path = ROOT / Path(*name.split(".")) / "__init__.py" if package else None
        path = path or ROOT / Path(*name.split(".")).with_suffix(".py")
        MODULES[name] = (path, ast.parse(source))
        added.append(name)
        return name

    yield add
    for name in added:
        del MODULES[name]


@pytest.mark.parametrize(
    "source",
    [
        "from votes.models import Message",
        "import cms.maps",
        "def f():\n    from cms import selectors",
        "from django.apps import apps\nM = apps.get_model('votes', 'Message')",
        "from django.apps import apps\nM = apps.get_model('cms.CommuneSettings')",
        "import importlib\nm = importlib.import_module('votes.selectors')",
        "import importlib\nm = importlib.import_module(name)",
        "from django.utils.module_loading import import_string\nf = import_string('cms.x')",
    ],
)
def test_an_upward_dependency_is_caught(fake_module, source):
    module = fake_module("fonds.fake_upward", source)
    assert any(problem.startswith(f"{module}:") for problem in upward_references())


def test_a_string_model_reference_in_a_field_is_allowed(fake_module):
    module = fake_module(
        "accounts.fake_field",
        "from django.db import models\n"
        "class X(models.Model):\n"
        "    quartier = models.ForeignKey('fonds.Quartier', on_delete=models.PROTECT)\n"
        "    dependencies = [('fonds', '0001_initial')]",
    )
    assert not any(problem.startswith(f"{module}:") for problem in upward_references())


def test_a_cycle_is_caught_even_through_a_lazy_import(fake_module):
    fake_module("votes.fake_a", "from . import fake_b")
    fake_module("votes.fake_b", "def f():\n    from votes.fake_a import g")
    assert ["votes.fake_a", "votes.fake_b"] in cycles()
