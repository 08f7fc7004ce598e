"""One description of a command: its spec in the table declares every piece the rest of
hsmshell needs (commands/spec.py), and for every command this test finds each of them, so a
command added without one fails here, not in a user's hands: help text, argument converters
and completion sources, an action some role allows, the HSM's own rule for each action
(`hsm=`), a handler in every backend the spec names (`backends=`) and in no other, and a view
in every output format for each kind of result it declares (`views=`). tests/conftest.py checks,
in every in-process test, that each result shown is of a kind its spec declares."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hsmshell import builtins
from hsmshell.backends import emulator
from hsmshell.commands import command_table
from hsmshell.model.capabilities import Capability
from hsmshell.parse.types import CONVERTERS
from hsmshell.policy.roles import load_policy

ROOT = Path(__file__).resolve().parents[2] / "hsmshell"
TABLE = command_table()
COMPLETION_SOURCES = {None, "user_type", "user_name", "path", "command", "choices"}
BOUND_BY_BINDER = {"flag", "secret"}     # a switch, and a SecretRef (parse/binder.py)


@pytest.fixture(scope="module")
def policy():
    return load_policy(None, TABLE.actions())


@pytest.mark.parametrize("spec", list(TABLE), ids=lambda spec: spec.name)
def test_every_command_has_every_piece(spec, policy):
    assert spec.summary and spec.usage(), "help text: a summary and a syntax"
    assert isinstance(spec.needs, Capability)
    for arg in spec.args:
        assert arg.kind in CONVERTERS or arg.kind in BOUND_BY_BINDER, f"{arg.name}: no converter for kind {arg.kind!r} (parse/types.py)"
        assert arg.complete in COMPLETION_SOURCES, f"{arg.name}: unknown completion source {arg.complete!r}"
        assert arg.complete != "choices" or arg.choices, f"{arg.name}: completes from choices it lacks"
    for action in spec.actions():
        assert policy.roles_allowing(action), f"no role file in roles/ allows {action}: nobody could run it"
        if not spec.local:
            assert spec.hsm_rule(action) is not None, \
                f"{action}: no hsm= rule in its spec (model/hsm_rules.py): the emulated HSM would refuse it to everyone"
    assert spec.views, "no views=: the kinds of result it shows (render/)"
    if spec.local:
        assert spec.name in builtins.HANDLERS, "a local command's handler is in builtins.py"
    else:
        assert spec.backends, "no backends=: which backends implement it"
        for name in spec.backends:
            assert spec.name in backend_commands(name), f"the spec names the {name} backend, which has no handler"


def backend_commands(name: str) -> set[str]:
    """The commands backend `name` has handlers for (no token or tool needed to ask)."""
    if name == "emulator":
        return set(emulator.all_handlers())
    from importlib import import_module
    module = import_module(f"hsmshell.backends.{name}")
    cls = next(v for k, v in vars(module).items() if k.endswith("Backend") and isinstance(v, type))
    return set(cls.__new__(cls).commands())


@pytest.mark.parametrize("backend_name", ["emulator", "cloudhsm", "pkcs11"])
def test_a_backend_has_handlers_only_for_what_the_specs_give_it(backend_name):
    claimed = {spec.name for spec in TABLE if backend_name in spec.backends}
    handled = {name for name in backend_commands(backend_name) if name in TABLE.specs and not TABLE.specs[name].local}
    assert handled - claimed == set(), f"handlers no spec names the {backend_name} backend for"


def test_every_completion_source_completes(harness):
    from hsmshell.ui.completer import ShellCompleter
    completer = ShellCompleter(harness.open())
    for source in COMPLETION_SOURCES - {None, "path", "choices"}:     # those: the arg's own
        assert completer._candidates(source), source


@pytest.mark.parametrize("backend_name", ["emulator", "cloudhsm", "pkcs11"])
def test_a_backend_serves_only_what_it_has_handlers_for(harness, backend_name):
    from importlib import import_module
    module = import_module(f"hsmshell.backends.{backend_name}")
    cls = next(v for k, v in vars(module).items() if k.endswith("Backend") and isinstance(v, type))
    backend = cls.__new__(cls)                       # no token or tool needed to ask
    handlers = backend_commands(backend_name)
    for spec in TABLE:
        if not spec.local and spec.needs in backend.capabilities and spec.name not in handlers:
            assert not backend.serves(spec)


def _result_kinds() -> dict[str, set[str]]:
    """Every literal `kind` a handler gives a Result: Result(command, "kind", ...) or kind=."""
    kinds: dict[str, set[str]] = {}
    for path in [*ROOT.joinpath("backends").rglob("*.py"), ROOT / "builtins.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Result":
                values = node.args[1:2] + [k.value for k in node.keywords if k.arg == "kind"]
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        kinds.setdefault(value.value, set()).add(str(path.relative_to(ROOT)))
    return kinds


# kinds the generic views show well enough (a message; key/value data; per-server lines)
GENERIC = {"message", "per_server", "whoami", "status", "help"}


@pytest.mark.parametrize("renderer", ["rich", "classic"])
def test_every_kind_of_result_has_a_view(renderer):
    from hsmshell.render.classic import ClassicRenderer
    from hsmshell.render.rich_out import RichRenderer
    cls = {"rich": RichRenderer, "classic": ClassicRenderer}[renderer]
    kinds = _result_kinds()
    assert len(kinds) > 10                                     # the scan finds them
    for spec in TABLE:                                         # and what the specs declare
        for kind in spec.views:
            kinds.setdefault(kind, set()).add(f"views= of {spec.name}")
    missing = {kind: sorted(where) for kind, where in kinds.items()
               if kind not in GENERIC and not hasattr(cls, f"_view_{kind}")}
    assert not missing, f"no {renderer} view (render/) for: {missing}"


def test_the_deferred_noun_verb_specs_are_known_by_their_roots_and_sources():
    """command_table() builds CloudHSM CLI's phrases only when needed: the first words it
    knows them by must be theirs, and their action ids must be written in the files
    sdk5_source_key() digests (the policy cache's key stands on it)."""
    from hsmshell import commands
    from hsmshell.commands import sdk5
    table = command_table()
    assert table.phrase_roots == set(commands.SDK5_ROOTS)
    key = table.actions_key()
    assert {words[0] for words in table.phrases} == set(commands.SDK5_ROOTS)
    assert table.actions_key() != key and command_table().actions_key() == key
    here = Path(sdk5.__file__).parent.parent
    sources = "".join(path.read_text() for path in [*here.glob("*.py"), *here.glob("sdk5/*.py")])
    for spec in sdk5.SPECS:
        for action in spec.actions():
            assert f'"{action}"' in sources, (spec.name, action)
