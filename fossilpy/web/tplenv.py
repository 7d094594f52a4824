"""The objects that run compiled templates: context, template, environment.

:mod:`fossilpy.web.tplruntime` has what generated template code imports;
this module has what it is handed: ``context`` (:class:`Context`: the
variables, the blocks, ``call``), ``environment`` (:class:`Environment`:
attribute and item lookup with jinja2's rules, ``undefined``, ``concat``,
the filters and tests, the other templates) and the templates themselves
(:class:`Template`; ``{% from ... import %}`` gets a :class:`TemplateModule`),
and the built-in filters and tests (:data:`FILTERS`, :data:`TESTS`).  Each
keeps jinja2 3.1's behaviour for what our templates use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from typing import Any

from markupsafe import escape, soft_str

from fossilpy.text import is_digits
from fossilpy.web.tplruntime import (
    EvalContext,
    Markup,
    Namespace,
    TemplateNotFound,
    TemplateRuntimeError,
    Undefined,
    missing,
    pass_arg,
)


class Context:
    """The variables of one rendering: ``parent`` (what the page passed, with the
    globals), ``vars`` (what the template sets at top level) and the blocks."""

    def __init__(
        self,
        environment: Environment,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Any],
        globals: dict[str, Any] | None = None,
    ) -> None:
        self.parent = parent
        self.vars: dict[str, Any] = {}
        self.environment = environment
        self.eval_ctx = EvalContext(environment, name)
        self.exported_vars: set[str] = set()
        self.name = name
        self.globals_keys = set() if globals is None else set(globals)
        self.blocks = {k: [v] for k, v in blocks.items()}

    def resolve_or_missing(self, key: str) -> Any:
        if key in self.vars:
            return self.vars[key]
        if key in self.parent:
            return self.parent[key]
        return missing

    def resolve(self, key: str) -> Any:
        rv = self.resolve_or_missing(key)
        return self.environment.undefined(name=key) if rv is missing else rv

    def get_all(self) -> dict[str, Any]:
        if not self.vars:
            return self.parent
        if not self.parent:
            return self.vars
        return dict(self.parent, **self.vars)

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (names free for kwargs)
        if hasattr(__obj, "__call__") and pass_arg(__obj.__call__) is not None:  # noqa: B004
            __obj = __obj.__call__
        wanted = pass_arg(__obj)
        if wanted == "context":
            if kwargs.get("_loop_vars"):
                __self = __self.derived(kwargs["_loop_vars"])
            if kwargs.get("_block_vars"):
                __self = __self.derived(kwargs["_block_vars"])
            args = (__self, *args)
        elif wanted == "eval_context":
            args = (__self.eval_ctx, *args)
        elif wanted == "environment":
            args = (__self.environment, *args)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )

    def derived(self, locals: dict[str, Any] | None = None) -> Context:
        context = new_context(self.environment, self.name, {}, self.get_all(), True, None, locals)
        context.eval_ctx = self.eval_ctx
        context.blocks.update((k, list(v)) for k, v in self.blocks.items())
        return context

    def __contains__(self, name: str) -> bool:
        return name in self.vars or name in self.parent

    def __getitem__(self, key: str) -> Any:
        item = self.resolve_or_missing(key)
        if item is missing:
            raise KeyError(key)
        return item

    def __repr__(self) -> str:
        return f"<Context {self.get_all()!r} of {self.name!r}>"


def new_context(
    environment: Environment,
    name: str | None,
    blocks: dict[str, Any],
    vars: dict[str, Any] | None = None,
    shared: bool = False,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
) -> Context:
    """A context for rendering ``name``: ``vars`` over the globals (or ``vars`` itself
    when ``shared``, as an include sees its includer's variables), then ``locals``."""
    if vars is None:
        vars = {}
    parent = vars if shared else dict(globals or (), **vars)
    if locals:
        if shared:
            parent = dict(parent)
        for key, value in locals.items():
            if value is not missing:
                parent[key] = value
    return Context(environment, parent, name, blocks, globals)


class TemplateModule:
    """A template imported by ``{% from ... import %}``: its exported names as attributes."""

    def __init__(self, template: Template, context: Context) -> None:
        self._body_stream = list(template.root_render_func(context))
        self.__dict__.update({k: context.vars[k] for k in context.exported_vars})
        self.__name__ = template.name

    def __html__(self) -> Markup:
        return Markup("".join(self._body_stream))

    def __str__(self) -> str:
        return "".join(self._body_stream)

    def __repr__(self) -> str:
        return f"<TemplateModule {self.__name__!r}>"


class Template:
    """One compiled template: its root render function and its blocks."""

    def __init__(self, environment: Environment, code: Any) -> None:
        namespace: dict[str, Any] = {"environment": environment, "__file__": code.co_filename}
        exec(code, namespace)  # generated by jinja2's compiler from our template file (tplcompile)
        self.environment = environment
        self.name: str = namespace["name"]
        self.filename: str = namespace["__file__"]
        self.blocks: dict[str, Any] = namespace["blocks"]
        self.root_render_func: Callable[[Context], Iterator[str]] = namespace["root"]
        self.globals = environment.globals
        self._module: TemplateModule | None = None

    def new_context(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: dict[str, Any] | None = None
    ) -> Context:
        return new_context(self.environment, self.name, self.blocks, vars, shared, self.globals, locals)

    def make_module(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: dict[str, Any] | None = None
    ) -> TemplateModule:
        return TemplateModule(self, self.new_context(vars, shared, locals))

    def _get_default_module(self, ctx: Context | None = None) -> TemplateModule:
        """What ``{% from this import ... %}`` gets: the template rendered once, as a module
        (again with the importer's globals when it has globals this template lacks)."""
        if ctx is not None:
            keys = ctx.globals_keys - self.globals.keys()
            if keys:
                return self.make_module({k: ctx.parent[k] for k in keys})
        if self._module is None:
            self._module = self.make_module()
        return self._module

    def render(self, *args: Any, **kwargs: Any) -> str:
        context = self.new_context(dict(*args, **kwargs))
        return self.environment.concat(self.root_render_func(context))

    def __repr__(self) -> str:
        return f"<Template {self.name!r}>"


class Environment:
    """What generated template code calls ``environment``: lookups, filters,
    tests and the other templates (loaded by ``load(name)``, once each)."""

    is_async = False
    undefined = Undefined
    concat = staticmethod("".join)

    def __init__(
        self,
        load: Callable[[Environment, str], Template],
        filters: dict[str, Any],
        tests: dict[str, Any],
        autoescape: bool = True,
    ) -> None:
        self._load = load
        self.filters = filters
        self.tests = tests
        self.autoescape = autoescape
        self.globals: dict[str, Any] = {"range": range, "dict": dict, "namespace": Namespace}
        self._templates: dict[str, Template] = {}

    def get_template(self, name: str, parent: str | None = None) -> Template:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self._load(self, name)
        return template

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``: the Python attribute, else the item of that name, else Undefined."""
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]``: the item, else (a str key) the attribute, else Undefined."""
        try:
            return obj[argument]
        except (AttributeError, TypeError, LookupError):
            if isinstance(argument, str):
                try:
                    return getattr(obj, argument)
                except AttributeError:
                    pass
            return self.undefined(obj=obj, name=argument)

    def call_test(
        self, name: str, value: Any, args: Any = None, kwargs: Any = None, context: Context | None = None
    ) -> Any:
        func = self.tests.get(name)
        if func is None:
            raise TemplateRuntimeError(f"No test named {name!r}.")
        return func(value, *(args or ()), **(kwargs or {}))


def template_path(directory: str, name: str) -> str:
    """The file of template ``name`` under ``directory`` (as jinja2's FileSystemLoader:
    ``/``-separated pieces, no ``..``), or TemplateNotFound."""
    pieces = []
    for piece in name.split("/"):
        if os.path.sep in piece or (os.path.altsep and os.path.altsep in piece) or piece == os.path.pardir:
            raise TemplateNotFound(name)
        if piece and piece != ".":
            pieces.append(piece)
    path = os.path.normpath(os.path.join(directory, *pieces))
    if not os.path.isfile(path):
        raise TemplateNotFound(name)
    return path


# -- jinja2's built-in filters and tests that our templates use ----------------------------
#
# Each does what jinja2 3.1's filter of the same name does, and takes the same first
# argument (``jinja_pass_arg``: the context, the eval context or the environment),
# because the code that calls it was generated by jinja2's compiler for jinja2's
# filter: the compile step checks that the two agree
# (:func:`fossilpy.web.tplcompile.check_generated`), and
# ``tests/web/test_render_runtime.py`` compares each with jinja2's.  A template that
# uses a filter not listed here is refused when compiled, naming the filter: add it
# here (with its test) first.


def _pass(kind: str) -> Callable[[Any], Any]:
    def mark(func: Any) -> Any:
        func.jinja_pass_arg = kind
        return func

    return mark


def url_quote(obj: Any, charset: str = "utf-8", for_qs: bool = False) -> str:
    """Percent-encode ``obj`` (str, bytes, or anything as its str) for a URL; ``for_qs``
    also quotes ``/`` and writes spaces as ``+``."""
    from urllib.parse import quote_from_bytes  # only pages that build query strings need it

    if not isinstance(obj, bytes):
        obj = (obj if isinstance(obj, str) else str(obj)).encode(charset)
    rv = quote_from_bytes(obj, b"" if for_qs else b"/")
    return rv.replace("%20", "+") if for_qs else rv


def do_urlencode(value: Any) -> str:
    """A string (or non-iterable) quoted for a URL path; a dict or pairs as a query string."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return url_quote(value)
    items = value.items() if isinstance(value, dict) else value
    return "&".join(f"{url_quote(k, for_qs=True)}={url_quote(v, for_qs=True)}" for k, v in items)


@_pass("eval_context")
def do_replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    """``s`` with ``old`` replaced by ``new``; under autoescape, escaped first when ``old``
    or ``new`` is markup and ``s`` is not."""
    if count is None:
        count = -1
    if not eval_ctx.autoescape:
        return str(s).replace(str(old), str(new), count)
    if hasattr(old, "__html__") or hasattr(new, "__html__") and not hasattr(s, "__html__"):
        s = escape(s)
    else:
        s = soft_str(s)
    return s.replace(soft_str(old), soft_str(new), count)  # type: ignore[no-any-return]


def do_format(value: Any, *args: Any, **kwargs: Any) -> str:
    """``value % args`` (or ``% kwargs``)."""
    if args and kwargs:
        raise TemplateRuntimeError("can't handle positional and keyword arguments at the same time")
    return soft_str(value) % (kwargs or args)


def do_lower(s: Any) -> str:
    return soft_str(s).lower()


def do_upper(s: Any) -> str:
    return soft_str(s).upper()


def do_capitalize(s: Any) -> str:
    return soft_str(s).capitalize()


def do_mark_safe(value: Any) -> Markup:
    return Markup(value)


def do_default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    if isinstance(value, Undefined) or (boolean and not value):
        return default_value
    return value


def _ignore_case(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def do_dictsort(
    value: Mapping[Any, Any], case_sensitive: bool = False, by: str = "key", reverse: bool = False
) -> list[tuple[Any, Any]]:
    """The items of a mapping sorted by key (or ``by="value"``), case-blind unless asked."""
    if by not in ("key", "value"):
        raise TemplateRuntimeError('You can only sort by either "key" or "value"')
    pos = 0 if by == "key" else 1

    def sort_key(item: tuple[Any, Any]) -> Any:
        return item[pos] if case_sensitive else _ignore_case(item[pos])

    return sorted(value.items(), key=sort_key, reverse=reverse)


@_pass("eval_context")
def do_list(eval_ctx: Any, value: Iterable[Any]) -> list[Any]:
    return list(value)


def _attr_parts(attribute: str | int | None) -> list[str | int]:
    if attribute is None:
        return []
    if isinstance(attribute, str):
        return [int(x) if is_digits(x) else x for x in attribute.split(".")]
    return [attribute]


def _attrgetter(
    environment: Any, attribute: str | int | None, postprocess: Callable[[Any], Any] | None = None
) -> Callable[[Any], Any]:
    parts = _attr_parts(attribute)

    def get(item: Any) -> Any:
        for part in parts:
            item = environment.getitem(item, part)
        return postprocess(item) if postprocess is not None else item

    return get


def _min_or_max(
    environment: Any, value: Iterable[Any], func: Callable[..., Any], case_sensitive: bool, attribute: str | int | None
) -> Any:
    it = iter(value)
    first = next(it, missing)
    if first is missing:
        return environment.undefined("No aggregated item, sequence was empty.")
    key = _attrgetter(environment, attribute, None if case_sensitive else _ignore_case)
    return func(chain([first], it), key=key)


@_pass("environment")
def do_min(
    environment: Any, value: Iterable[Any], case_sensitive: bool = False, attribute: str | int | None = None
) -> Any:
    return _min_or_max(environment, value, min, case_sensitive, attribute)


@_pass("environment")
def do_max(
    environment: Any, value: Iterable[Any], case_sensitive: bool = False, attribute: str | int | None = None
) -> Any:
    return _min_or_max(environment, value, max, case_sensitive, attribute)


@_pass("context")
def do_selectattr(context: Any, value: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
    """The items whose attribute ``args[0]`` is true (or passes the test ``args[1]``)."""
    if not args:
        raise TemplateRuntimeError("Missing parameter for attribute name")
    get = _attrgetter(context.environment, args[0])
    if len(args) > 1:
        name, test_args = args[1], args[2:]

        def func(item: Any) -> Any:
            return context.environment.call_test(name, item, test_args, kwargs, context)
    else:
        func = bool  # type: ignore[assignment]

    def select() -> Any:
        if value:
            for item in value:
                if func(get(item)):
                    yield item

    return select()


def test_defined(value: Any) -> bool:
    return not isinstance(value, Undefined)


def test_undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def test_none(value: Any) -> bool:
    return value is None


#: The built-in filters available to templates (jinja2's names).
FILTERS: dict[str, Any] = {
    "capitalize": do_capitalize,
    "d": do_default,
    "default": do_default,
    "dictsort": do_dictsort,
    "e": escape,
    "escape": escape,
    "format": do_format,
    "length": len,
    "list": do_list,
    "lower": do_lower,
    "max": do_max,
    "min": do_min,
    "replace": do_replace,
    "safe": do_mark_safe,
    "selectattr": do_selectattr,
    "string": soft_str,
    "upper": do_upper,
    "urlencode": do_urlencode,
}

#: The built-in tests available to templates.
TESTS: dict[str, Any] = {
    "defined": test_defined,
    "undefined": test_undefined,
    "none": test_none,
}
