"""Compiling templates: jinja2's compiler, producing code for :mod:`fossilpy.web.tplruntime`.

A template is compiled once per cache (:class:`fossilpy.web.render.CodeCache`),
on the first request that needs it; every rendering, on every door, runs
the compiled code on fossilpy's small runtime, so jinja2 is imported only
here.  :func:`compile_template` asks jinja2 for the Python source of the
template (an Environment with the settings and filters pages have always
used: autoescape, ``trim_blocks``, ``lstrip_blocks``), checks with
:func:`check_generated` that the source asks for nothing the runtime lacks,
points its import line at the runtime and compiles it.

jinja2 itself is loaded by :func:`import_jinja2` without its package
``__init__`` (which would import ``jinja2.bccache`` and with it pickle,
tempfile, shutil, bz2 and lzma).
"""

from __future__ import annotations

import re
import sys
import threading
from types import CodeType
from typing import Any

from fossilpy.web import tplenv, tplruntime
from fossilpy.web.tplruntime import TemplateError


def import_jinja2() -> Any:
    """The ``jinja2`` package with its ``environment`` and ``loaders`` modules.

    When jinja2 is not imported yet, its package module is made from its
    spec without running ``__init__`` (which imports ``jinja2.bccache``,
    and with it pickle, tempfile, shutil, bz2 and lzma, none of which a
    page needs); the first attribute asked of the package that is not
    there, once those two are loaded, runs ``__init__`` after all (a module
    ``__getattr__``), so that ``import jinja2`` anywhere else still sees the
    whole package.
    """
    with _JINJA2_LOCK:  # two applications in one server build their environments at once
        return _import_jinja2()


def _import_jinja2() -> Any:
    package = sys.modules.get("jinja2")
    if package is None:
        import importlib.util

        spec = importlib.util.find_spec("jinja2")
        if spec is None or spec.loader is None:
            raise ImportError("jinja2 is not installed")
        package = importlib.util.module_from_spec(spec)
        loader = spec.loader
        lock = threading.Lock()
        module = package

        def complete(name: str) -> Any:
            with lock:
                if module.__dict__.get("__getattr__") is complete:
                    del module.__dict__["__getattr__"]
                    loader.exec_module(module)
            return module.__dict__[name] if name in module.__dict__ else _missing(name)

        sys.modules["jinja2"] = package
        placeholders = _compile_only_placeholders()
        try:
            import jinja2.environment
            import jinja2.loaders  # noqa: F401  (both reached as attributes of the package)
        except BaseException:
            del sys.modules["jinja2"]
            raise
        finally:
            for name in placeholders:
                if sys.modules.get(name) is placeholders[name]:
                    del sys.modules[name]
        # only now: jinja2's own modules ask the package for their siblings
        # (``from . import nodes``) while they load
        package.__getattr__ = complete  # type: ignore[method-assign]
    return package


#: What ``jinja2.environment`` imports from the modules that only compile templates
#: (jinja2 3.1): none is used unless a template is compiled (not in the cache).
_COMPILE_ONLY = {
    "jinja2.compiler": ("CodeGenerator", "generate"),
    "jinja2.lexer": ("get_lexer", "Lexer", "TokenStream"),
    "jinja2.parser": ("Parser",),
}
_JINJA2_LOCK = threading.RLock()


def _compile_only_placeholders() -> dict[str, Any]:
    """Stand-ins for jinja2's compiler, lexer and parser while ``jinja2.environment`` loads.

    Loading those three (with their regular expressions and helper
    modules) is about 11 ms of CPU that a page rendered from the code
    cache never needs.  Each stand-in module holds forwarding functions
    under the names ``jinja2.environment`` imports; it is in
    ``sys.modules`` only while that module loads, so any later import
    gets the real module.  The first call of a forwarder imports the real
    modules and puts the real objects back into ``jinja2.environment``
    (and ``Environment.code_generator_class``), so that after it jinja2
    runs exactly its own code.  Names missing here (another jinja2) make
    the stand-in load the real module: slower, never wrong.
    """
    import types

    placeholders: dict[str, Any] = {}
    for module_name, attrs in _COMPILE_ONLY.items():
        if module_name in sys.modules:
            continue
        module = types.ModuleType(module_name)
        for attr in attrs:
            setattr(module, attr, _forwarder(module_name, attr))
        module.__getattr__ = _loader_of(module_name)  # type: ignore[method-assign]
        placeholders[module_name] = sys.modules[module_name] = module
    return placeholders


def _forwarder(module_name: str, attr: str) -> Any:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return _real_compile_modules()[module_name].__dict__[attr](*args, **kwargs)

    forward.__name__ = forward.__qualname__ = attr
    forward.jinja2_placeholder = True  # type: ignore[attr-defined]
    return forward


def _loader_of(module_name: str) -> Any:
    def load(attr: str) -> Any:
        import importlib

        if attr.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(attr)
        if getattr(sys.modules.get(module_name), "__getattr__", None) is load:
            del sys.modules[module_name]  # the stand-in: import the real module instead
        return getattr(importlib.import_module(module_name), attr)

    return load


def _real_compile_modules() -> dict[str, Any]:
    """Import jinja2's compiler, lexer and parser and put them back in place of the forwarders."""
    import importlib

    with _JINJA2_LOCK:
        real = {name: importlib.import_module(name) for name in _COMPILE_ONLY}
        environment = sys.modules["jinja2.environment"]
        for module_name, attrs in _COMPILE_ONLY.items():
            for attr in attrs:
                if getattr(environment.__dict__.get(attr), "jinja2_placeholder", False):
                    environment.__dict__[attr] = real[module_name].__dict__[attr]
        env_class = environment.Environment
        if getattr(env_class.__dict__.get("code_generator_class"), "jinja2_placeholder", False):
            env_class.code_generator_class = real["jinja2.compiler"].CodeGenerator
    return real


def _missing(name: str) -> Any:
    raise AttributeError(f"module 'jinja2' has no attribute {name!r}")


#: The first line of the code jinja2 generates, and what it becomes.
_JINJA_IMPORT = "from jinja2.runtime import "
_OUR_IMPORT = "from fossilpy.web.tplruntime import "
#: What generated code may use of each object, beyond what it imports.
_ALLOWED = {
    "environment": {"getattr", "getitem", "undefined", "concat", "get_template", "filters", "tests"},
    "context": {"resolve_or_missing", "call", "blocks", "get_all", "vars", "exported_vars", "eval_ctx", "derived"},
    "eval_ctx": {"autoescape"},
    "template": {"root_render_func", "new_context", "blocks", "_get_default_module"},
    "module": {"__name__"},
    "loop": {
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",
        "cycle",
        "changed",
    },
}
#: jinja2's default globals that the runtime does not define.
_MISSING_GLOBALS = ("lipsum", "cycler", "joiner")


def check_generated(source: str, name: str, runtime: tplenv.Environment, jinja_env: Any) -> str:
    """``source`` (jinja2's code for template ``name``) with its import pointed at the runtime.

    Raises TemplateError naming the first thing the runtime would not do as
    jinja2 does: a filter or test it lacks, or one whose first argument
    (context, eval context, environment) differs from jinja2's; an
    attribute of the environment, context, templates or ``loop`` it does not
    have (``super()``, ``{% import %}``, ``loop.cycle`` are caught this way);
    ``self``, a recursive loop, ``{% autoescape %}``, or a global it does not
    define.  The generated code is read as a syntax tree, so template text
    that merely mentions such names is no trouble.
    """
    import ast

    from jinja2.utils import _PassArg

    def refuse(what: str) -> TemplateError:
        return TemplateError(
            f"template {name}: {what} is not supported by fossilpy's template runtime"
            " (fossilpy/web/tplruntime.py, tplenv.py)"
        )

    first, _, body = source.partition("\n")
    if not first.startswith(_JINJA_IMPORT):
        raise refuse(f"generated code starting {first[:60]!r}")
    for imported in first[len(_JINJA_IMPORT) :].split(", "):
        if imported not in tplruntime.__all__:
            raise refuse(f"jinja2.runtime.{imported}")
    tables = {"filters": (runtime.filters, jinja_env.filters), "tests": (runtime.tests, jinja_env.tests)}
    objects = {
        "environment": "environment",
        "context": "context",
        "template": "template",
        "parent_template": "template",
        "included_template": "module",
    }
    for node in ast.walk(ast.parse(body)):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in objects:
                what = objects[owner.id]
            elif (
                isinstance(owner, ast.Call)
                and isinstance(owner.func, ast.Attribute)
                and owner.func.attr == "get_template"
            ):
                what = "template"
            elif isinstance(owner, ast.Attribute) and owner.attr == "eval_ctx":
                what = "eval_ctx"
                if not isinstance(node.ctx, ast.Load):
                    raise refuse("{% autoescape %}")
            else:
                continue
            if node.attr not in _ALLOWED[what]:
                raise refuse(f"{what}.{node.attr}")
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "environment"
            and node.value.attr in tables
            and isinstance(node.slice, ast.Constant)
        ):
            ours, theirs = tables[node.value.attr]
            used, kind = node.slice.value, node.value.attr[:-1]
            if used not in ours:
                raise refuse(f"the {kind} {used!r}")
            expected = _PassArg.from_obj(theirs[used]) if used in theirs else None
            if (expected.name if expected is not None else None) != tplruntime.pass_arg(ours[used]):
                raise refuse(f"the {kind} {used!r} (its first argument differs from jinja2's)")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "getattr"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and re.fullmatch(r"l_\d+_loop", node.args[0].id)
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value not in _ALLOWED["loop"]
        ):
            raise refuse(f"loop.{node.args[1].value!s}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "resolve"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in _MISSING_GLOBALS
        ):
            raise refuse(f"the global {node.args[0].value!r}")
        elif isinstance(node, ast.Name) and node.id in ("TemplateReference", "loop_render_func"):
            raise refuse("self" if node.id == "TemplateReference" else "a recursive loop")
    return _OUR_IMPORT + first[len(_JINJA_IMPORT) :] + "\n" + body


class Compiler:
    """jinja2's compiler with the settings and filters of our templates (built on first use)."""

    def __init__(self, custom_filters: dict[str, Any]) -> None:
        self._custom_filters = custom_filters
        self._env: Any = None
        self._lock = threading.Lock()

    def jinja_environment(self) -> Any:
        """The jinja2 Environment that generates the code (jinja2's built-in filters and ours)."""
        with self._lock:
            if self._env is None:
                jinja2 = import_jinja2()
                env = jinja2.environment.Environment(
                    autoescape=True, auto_reload=False, trim_blocks=True, lstrip_blocks=True
                )
                env.filters.update(self._custom_filters)
                self._env = env
        return self._env

    def compile(self, source: str, name: str, filename: str, runtime: tplenv.Environment) -> CodeType:
        """The code object of template ``name`` (from ``filename``) for ``runtime``.

        A syntax error in the template raises jinja2's TemplateSyntaxError
        (with the line); anything the runtime lacks, TemplateError.
        """
        env = self.jinja_environment()
        generated = env.compile(source, name, filename, raw=True)
        code: CodeType = compile(check_generated(generated, name, runtime, env), filename, "exec")
        return code
