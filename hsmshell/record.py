"""Record classes without the `dataclasses` module: `@record` / `@record(frozen=True)`,
`field(default=..., default_factory=..., compare=..., repr=...)`, `replace` and `fields`.

Why not `dataclasses`: importing it imports `inspect` (and with it `ast`, `dis`, `tokenize`),
42 M instructions, and each class it makes costs a signature and several compiled methods:
together a fifth of a one-shot `hsmshell --json -c listUsers` (docs/performance.md). This
covers only what hsmshell's records use, with the same meaning: fields from the class's
annotations in order (a `ClassVar` is not a field), a generated `__init__` that calls
`__post_init__`, `__repr__`, `__eq__` over the compared fields, `frozen` (assignment raises
FrozenInstanceError, and instances hash by their compared fields), no inheritance between
records.
"""

from __future__ import annotations

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as dataclasses.FrozenInstanceError)."""


class Field:
    __slots__ = ("name", "default", "default_factory", "compare", "repr")

    def __init__(self, default=_MISSING, default_factory=_MISSING, compare=True, repr=True):
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default, self.default_factory, self.compare, self.repr = default, default_factory, compare, repr

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default=_MISSING, default_factory=_MISSING, compare: bool = True, repr: bool = True) -> Field:
    return Field(default, default_factory, compare, repr)


def fields(instance_or_class) -> tuple[Field, ...]:
    try:
        return instance_or_class.__record_fields__
    except AttributeError:
        raise TypeError("fields() needs a record or a record class") from None


def replace(instance, /, **changes):
    """A copy of `instance` with `changes` (through __init__, so __post_init__ runs again)."""
    values = {f.name: getattr(instance, f.name) for f in fields(instance)}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no field(s) {', '.join(sorted(unknown))}")
    values.update(changes)
    return type(instance)(**values)


def record(cls=None, /, *, frozen: bool = False, slots: bool = False):
    """The class decorator (bare, or with `frozen=True`, `slots=True`)."""
    def wrap(cls):
        return _process(cls, frozen, slots)
    return wrap if cls is None else wrap(cls)


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field '{name}'")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field '{name}'")


def _process(cls, frozen: bool, slots: bool):
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: records do not inherit from records")
    found = _fields_of(cls)
    _check_order(cls, found)
    if slots:
        cls = _with_slots(cls, found)
    else:
        for spec in found:          # as dataclasses: the class keeps a plain default only
            if isinstance(cls.__dict__.get(spec.name), Field):
                if spec.default is _MISSING:
                    delattr(cls, spec.name)
                else:
                    setattr(cls, spec.name, spec.default)
    body = cls.__dict__
    namespace = {"_MISSING": _MISSING, "_setattr": object.__setattr__}
    for spec in found:
        namespace[f"_d_{spec.name}"] = spec.default
        namespace[f"_f_{spec.name}"] = spec.default_factory
    source = "\n".join([_init_source(found, frozen, "__post_init__" in body),
                        _repr_source(found), _eq_source(found)])
    exec(source, namespace)     # one small compile per class; the methods run as fast as written ones
    methods = {"__init__": namespace["__init__"], "__repr__": namespace["__repr__"], "__eq__": namespace["__eq__"]}
    # as dataclasses: a method the class writes itself is kept; __eq__ makes __hash__ None
    # unless the class writes its own __hash__
    if not ("__hash__" in body and not (body["__hash__"] is None and "__eq__" in body)):
        cls.__hash__ = namespace["__hash__"] if frozen else None
    if frozen:
        methods["__setattr__"], methods["__delattr__"] = _frozen_setattr, _frozen_delattr
    for name, method in methods.items():
        if name not in body:
            setattr(cls, name, method)
    cls.__record_fields__ = tuple(found)
    cls.__match_args__ = tuple(f.name for f in found)
    return cls


def _fields_of(cls) -> list[Field]:
    """The class's own annotations, in order (a ClassVar is no field), with their defaults."""
    found = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.replace("typing.", "").startswith("ClassVar"):
            continue
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        found.append(spec)
    return found


def _with_slots(cls, found: list[Field]):
    """The class made again with its fields as `__slots__` (a class cannot gain slots once
    made); the defaults leave the class body, where they would clash with the slots."""
    body = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    for spec in found:
        body.pop(spec.name, None)
    body["__slots__"] = tuple(spec.name for spec in found)
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made


def _check_order(cls, found: list[Field]) -> None:
    seen_default = False
    for spec in found:
        has_default = spec.default is not _MISSING or spec.default_factory is not _MISSING
        if seen_default and not has_default:
            raise TypeError(f"{cls.__name__}: non-default field '{spec.name}' follows a default field")
        seen_default = seen_default or has_default


def _init_source(found: list[Field], frozen: bool, post_init: bool) -> str:
    params, lines = ["self"], []
    for spec in found:
        name = spec.name
        if spec.default_factory is not _MISSING:
            params.append(f"{name}=_MISSING")
            value = f"_f_{name}() if {name} is _MISSING else {name}"
        else:
            params.append(name if spec.default is _MISSING else f"{name}=_d_{name}")
            value = name
        lines.append(f"_setattr(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if post_init:
        lines.append("self.__post_init__()")
    return f"def __init__({', '.join(params)}):\n    " + "\n    ".join(lines or ["pass"])


def _repr_source(found: list[Field]) -> str:
    shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in found if f.repr)
    return f"def __repr__(self):\n    return f\"{{type(self).__qualname__}}({shown})\""


def _eq_source(found: list[Field]) -> str:
    compared = "".join(f"self.{f.name}," for f in found if f.compare)
    other = "".join(f"other.{f.name}," for f in found if f.compare)
    return (f"def __eq__(self, other):\n"
            f"    if other.__class__ is not self.__class__:\n        return NotImplemented\n"
            f"    return ({compared}) == ({other})\n"
            f"def __hash__(self):\n    return hash(({compared}))")
