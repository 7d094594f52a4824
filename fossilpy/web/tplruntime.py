"""The runtime that compiled templates run on: jinja2's rendering, without jinja2.

Templates are written in jinja2's language and compiled by jinja2's own
compiler (:mod:`fossilpy.web.tplcompile`) to Python.  That generated code
starts with ``from jinja2.runtime import ...``; the compile step points that
line at this module instead, so a page rendered from compiled code loads
only this module and markupsafe, not ``jinja2.environment``,
``jinja2.runtime``, ``nodes``, ``utils``, ``filters`` and ``tests`` (with
inspect, ast, dis, tokenize, random: about 30 ms of CPU per CGI request).

What generated code uses, and what is here, with jinja2 3.1's meaning:

* the names of that import line: :class:`LoopContext`, :class:`Macro`,
  ``Markup``/``escape`` (markupsafe's), :class:`Namespace`,
  :class:`Undefined`, :func:`markup_join`, :func:`str_join`,
  :func:`identity`, :func:`internalcode`, :data:`missing` and the errors;
* ``context.*``: :class:`Context` (variables, blocks, ``call``);
* ``environment.*``: :class:`Environment` (``getattr``/``getitem`` with
  jinja2's attribute-then-item rules, ``undefined``, ``concat``,
  ``filters``, ``tests``, ``get_template``);
* the built-in filters and tests our templates use (:mod:`fossilpy.web.tplenv`).

Anything else a template might ask for (another filter, ``super()``,
``{% import %}``, recursive loops, ...) is refused when the template is
compiled (:func:`fossilpy.web.tplcompile.check_generated`), with a message
naming it, rather than rendering differently from jinja2.

A callable marked ``jinja_pass_arg = "context"`` (or ``"eval_context"``,
``"environment"``) gets that object as its first argument, as jinja2's
``pass_context`` and friends do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

from markupsafe import Markup, escape, soft_str

__all__ = [
    "EvalContext",
    "LoopContext",
    "Macro",
    "Markup",
    "Namespace",
    "TemplateError",
    "TemplateNotFound",
    "TemplateReference",
    "TemplateRuntimeError",
    "Undefined",
    "UndefinedError",
    "escape",
    "identity",
    "internalcode",
    "markup_join",
    "missing",
    "str_join",
]


class _Missing:
    """The marker for "no such variable" (``missing``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "missing"

    def __reduce__(self) -> str:
        return "missing"


#: The one ``missing`` marker (generated code imports it as ``missing``).
MISSING: Any = _Missing()
missing = MISSING


class TemplateError(Exception):
    """A template could not be compiled or rendered."""


class TemplateRuntimeError(TemplateError):
    """A template failed while rendering."""


class UndefinedError(TemplateRuntimeError):
    """An undefined value was used for more than printing, testing or looping."""


class TemplateNotFound(OSError, LookupError, TemplateError):
    """No template of that name."""

    def __init__(self, name: str, message: str | None = None) -> None:
        super().__init__(message or name)
        self.name = name
        self.message = message or name

    def __str__(self) -> str:
        return self.message


class TemplateReference:
    """``self`` in a template (its blocks by name): not supported, refused at compile time."""

    def __init__(self, context: Any) -> None:
        raise TemplateRuntimeError("'self' is not supported in fossilpy's templates")


def internalcode(func: Any) -> Any:
    """Marks a function of the runtime (jinja2 hides them in tracebacks; here a no-op)."""
    return func


def identity(x: Any) -> Any:
    return x


def markup_join(seq: Iterable[Any]) -> str:
    """Join the parts of a ``~`` concatenation: Markup once any part is markup."""
    buf: list[str] = []
    parts = map(soft_str, seq)
    for part in parts:
        buf.append(part)
        if hasattr(part, "__html__"):
            return Markup("").join(chain(buf, parts))
    return "".join(buf)


def str_join(seq: Iterable[Any]) -> str:
    """Join the parts of a ``~`` concatenation without autoescape."""
    return "".join(map(str, seq))


def _type_name(obj: Any) -> str:
    """How an error message names the type of ``obj`` (as jinja2's ``object_type_repr``)."""
    if obj is None:
        return "None"
    if obj is Ellipsis:
        return "Ellipsis"
    cls = type(obj)
    if cls.__module__ == "builtins":
        return f"{cls.__name__} object"
    return f"{cls.__module__}.{cls.__name__} object"


class Undefined:
    """A name or attribute that is not there: prints as ``""``, is false, iterates
    as empty; any other use raises :class:`UndefinedError` naming what was missing."""

    __slots__ = ("_undefined_hint", "_undefined_obj", "_undefined_name", "_undefined_exception")

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: Any = None,
        exc: type[TemplateRuntimeError] = UndefinedError,
    ) -> None:
        self._undefined_hint = hint
        self._undefined_obj = obj
        self._undefined_name = name
        self._undefined_exception = exc

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"{self._undefined_name!r} is undefined"
        if not isinstance(self._undefined_name, str):
            return f"{_type_name(self._undefined_obj)} has no element {self._undefined_name!r}"
        return f"{_type_name(self._undefined_obj)!r} has no attribute {self._undefined_name!r}"

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        raise self._undefined_exception(self._undefined_message)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return self._fail_with_undefined_error()

    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
    __mod__ = __rmod__ = _fail_with_undefined_error
    __pos__ = __neg__ = _fail_with_undefined_error
    __call__ = __getitem__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
    __int__ = __float__ = __complex__ = _fail_with_undefined_error
    __pow__ = __rpow__ = _fail_with_undefined_error

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return id(type(self))

    def __str__(self) -> str:
        return ""

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        yield from ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "Undefined"


class Namespace:
    """``namespace(...)``: an object whose attributes ``{% set ns.x = ... %}`` may assign."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.__attrs = dict(*args, **kwargs)

    def __getattribute__(self, name: str) -> Any:
        if name in {"_Namespace__attrs", "__class__"}:
            return object.__getattribute__(self, name)
        try:
            return self.__attrs[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, name: str, value: Any) -> None:
        self.__attrs[name] = value

    def __repr__(self) -> str:
        return f"<Namespace {self.__attrs!r}>"


class EvalContext:
    """What filters marked ``eval_context`` are given: the autoescape setting."""

    __slots__ = ("environment", "autoescape", "volatile")

    def __init__(self, environment: Any, name: str | None) -> None:
        self.environment = environment
        self.autoescape = environment.autoescape
        self.volatile = False


class LoopContext:
    """``loop`` inside ``{% for %}``: index, first, last, length and the neighbours.

    Iterating yields ``(item, loop)``; ``last`` and ``nextitem`` look one item
    ahead, ``length`` lists the rest of an iterable without a length.
    """

    index0 = -1
    _length: int | None = None
    _after: Any = missing
    _current: Any = missing
    _before: Any = missing
    _last_changed: Any = missing

    def __init__(
        self, iterable: Iterable[Any], undefined: type[Undefined], recurse: Any = None, depth0: int = 0
    ) -> None:
        if recurse is not None:
            raise TemplateRuntimeError("recursive loops are not supported")
        self._iterable = iterable
        self._iterator = iter(iterable)
        self._undefined = undefined
        self.depth0 = depth0

    @property
    def length(self) -> int:
        if self._length is None:
            try:
                self._length = len(self._iterable)  # type: ignore[arg-type]
            except TypeError:
                rest = list(self._iterator)
                self._iterator = iter(rest)
                self._length = len(rest) + self.index + (self._after is not missing)
        return self._length

    def __len__(self) -> int:
        return self.length

    @property
    def depth(self) -> int:
        return self.depth0 + 1

    @property
    def index(self) -> int:
        return self.index0 + 1

    @property
    def revindex0(self) -> int:
        return self.length - self.index

    @property
    def revindex(self) -> int:
        return self.length - self.index0

    @property
    def first(self) -> bool:
        return self.index0 == 0

    def _peek_next(self) -> Any:
        if self._after is missing:
            self._after = next(self._iterator, missing)
        return self._after

    @property
    def last(self) -> bool:
        return self._peek_next() is missing

    @property
    def previtem(self) -> Any:
        if self.first:
            return self._undefined("there is no previous item")
        return self._before

    @property
    def nextitem(self) -> Any:
        rv = self._peek_next()
        if rv is missing:
            return self._undefined("there is no next item")
        return rv

    def cycle(self, *args: Any) -> Any:
        if not args:
            raise TypeError("no items for cycling given")
        return args[self.index0 % len(args)]

    def changed(self, *value: Any) -> bool:
        if self._last_changed != value:
            self._last_changed = value
            return True
        return False

    def __iter__(self) -> LoopContext:
        return self

    def __next__(self) -> tuple[Any, LoopContext]:
        if self._after is not missing:
            rv = self._after
            self._after = missing
        else:
            rv = next(self._iterator)
        self.index0 += 1
        self._before = self._current
        self._current = rv
        return rv, self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.index}/{self.length}>"


class Macro:
    """A ``{% macro %}``: called with positional or keyword arguments; its output
    is Markup under autoescape."""

    def __init__(
        self,
        environment: Any,
        func: Callable[..., str],
        name: str,
        arguments: list[str] | tuple[str, ...],
        catch_kwargs: bool,
        catch_varargs: bool,
        caller: bool,
        default_autoescape: bool | None = None,
    ) -> None:
        self._environment = environment
        self._func = func
        self._argument_count = len(arguments)
        self.name = name
        self.arguments = arguments
        self.catch_kwargs = catch_kwargs
        self.catch_varargs = catch_varargs
        self.caller = caller
        self.explicit_caller = "caller" in arguments
        self._default_autoescape = environment.autoescape if default_autoescape is None else default_autoescape

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if args and isinstance(args[0], EvalContext):
            autoescape = args[0].autoescape
            args = args[1:]
        else:
            autoescape = self._default_autoescape
        arguments = list(args[: self._argument_count])
        found_caller = self.explicit_caller
        if len(arguments) != self._argument_count:
            found_caller = False
            for name in self.arguments[len(arguments) :]:
                value = kwargs.pop(name, missing)
                if name == "caller":
                    found_caller = True
                arguments.append(value)
        if self.caller and not found_caller:
            caller = kwargs.pop("caller", None)
            if caller is None:
                caller = self._environment.undefined("No caller defined", name="caller")
            arguments.append(caller)
        if self.catch_kwargs:
            arguments.append(kwargs)
        elif kwargs:
            if "caller" in kwargs:
                raise TypeError(
                    f"macro {self.name!r} was invoked with two values for the special caller"
                    " argument. This is most likely a bug."
                )
            raise TypeError(f"macro {self.name!r} takes no keyword argument {next(iter(kwargs))!r}")
        if self.catch_varargs:
            arguments.append(args[self._argument_count :])
        elif len(args) > self._argument_count:
            raise TypeError(f"macro {self.name!r} takes not more than {len(self.arguments)} argument(s)")
        rv = self._func(*arguments)
        return Markup(rv) if autoescape else rv

    __call__.jinja_pass_arg = "eval_context"  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"<Macro {'anonymous' if self.name is None else repr(self.name)}>"


def pass_arg(obj: Any) -> str | None:
    """What a callable wants as its first argument: ``"context"``, ``"eval_context"``,
    ``"environment"`` (its ``jinja_pass_arg``), or None."""
    return getattr(obj, "jinja_pass_arg", None) if hasattr(obj, "jinja_pass_arg") else None
