"""Templates rendered on fossilpy's runtime give jinja2's bytes (fossilpy.web.tplruntime).

Pages are rendered from code that jinja2's compiler generates, run on
fossilpy's small runtime instead of ``jinja2.environment``/``runtime``
(issue 15: CGI start-up).  Each test here renders the same template through
that runtime and through a plain jinja2 Environment with the settings and
filters pages had before (the reference) and compares the text exactly:
hand-written templates that exercise each construct, filter and test, and
the real pages of a repository as admin.  Then: what the runtime cannot do
is refused at compile time by name; errors in templates still give the
error page; a CGI request with compiled templates in the cache imports no
jinja2 module at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import pytest

from fossilpy.web import render, tplenv
from fossilpy.web.tplcompile import Compiler
from fossilpy.web.tplruntime import TemplateError, UndefinedError

ROOT = Path(__file__).resolve().parent.parent.parent


def reference_env(loader: Any) -> Any:
    """jinja2 as pages used it before: its built-in filters, ours, and urlencode around jinja2's."""
    env = jinja2.Environment(loader=loader, autoescape=True, auto_reload=False, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(render.custom_filters())
    env.filters["urlencode"] = render._urlencode_filter(jinja2.filters.do_urlencode)
    return env


def runtime_env(sources: dict[str, str]) -> tplenv.Environment:
    """fossilpy's runtime, templates compiled from ``sources`` (name -> text)."""
    compiler = Compiler(render.custom_filters())

    def load(env: tplenv.Environment, name: str) -> tplenv.Template:
        if name not in sources:
            raise tplenv.TemplateNotFound(name)
        return tplenv.Template(env, compiler.compile(sources[name], name, f"<{name}>", env))

    filters = {**tplenv.FILTERS, **render.custom_filters()}
    return tplenv.Environment(load, filters, tplenv.TESTS)


def both(sources: dict[str, str], name: str = "t", **values: Any) -> tuple[str, str]:
    ours = runtime_env(sources).get_template(name).render(**values)
    theirs = reference_env(jinja2.DictLoader(sources)).get_template(name).render(**values)
    return ours, theirs


class Obj:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def __repr__(self) -> str:
        return "Obj"


VALUES: dict[str, Any] = {
    "s": "a<b> & 'c' \"d\"",
    "m": jinja2.utils.markupsafe.Markup("<b>bold</b>"),
    "n": 42,
    "f": 2.5,
    "none": None,
    "items": ["x", "<y>", "z"],
    "d": {"B": 2, "a": 1, "c": 3},
    "objs": [Obj(name="n1", custom=True, v=3), Obj(name="<n2>", custom=False, v=1), Obj(name="n3", custom=1, v=2)],
    "rows": [{"k": "one", "v": 1}, {"k": "two", "v": 2}],
    "gen": None,  # replaced per render (a generator is used up)
    "weird": "caf\u00e9 \udcff/x y",
    "jd": 2460000.5,
}

CASES = {
    "print": "{{ s }}|{{ m }}|{{ n }}|{{ f }}|{{ none }}|{{ nope }}|{{ items }}|{{ d }}|{{ objs[0].name }}",
    "concat": "{{ s ~ m }}|{{ 'x' ~ n ~ none }}|{{ m ~ '<' }}|{% set t = s ~ '!' %}{{ t }}",
    "attr-item": "{{ d.a }} {{ d['B'] }} {{ d.items }} {{ objs.0.name }} {{ rows[1].k }} {{ d.zz }}|{{ s.upper() }}",
    "tests": "{{ none is none }} {{ n is none }} {{ nope is defined }} {{ n is defined }} {{ nope is undefined }}",
    "if-loop": (
        "{% for x in items %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.first }}/{{ loop.last }}/"
        "{{ loop.length }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.cycle('o', 'e') }}"
        "/{{ loop.previtem }}/{{ loop.nextitem }}/{{ loop.changed(x) }}/{{ loop.depth }}:{{ x }}\n"
        "{% else %}empty{% endfor %}{% for k, v in d.items() if v > 1 %}{{ k }}={{ v }};{% endfor %}"
        "{% for x in nope %}no{% else %}none{% endfor %}{% for x in gen %}{{ x }}{{ loop.last }}{% endfor %}"
    ),
    "filters": (
        "{{ s|length }} {{ items|length }} {{ m|safe }} {{ s|safe }} {{ s|replace('<', '[') }} "
        "{{ s|replace('a', m) }} {{ m|replace('b', 'i') }} {{ '%5.2f|%s'|format(f, s) }} {{ s|lower }} "
        "{{ s|upper }} {{ m|lower }} {{ m|upper }} {{ m|capitalize }} "
        "{{ 'hello WORLD'|capitalize }} {{ d|dictsort }} {{ d|dictsort(true) }} "
        "{{ d|dictsort(by='value', reverse=true) }} {{ n|string }} {{ m|string }} {{ s|string }} "
        "{{ gen|list }} {{ objs|selectattr('custom')|list }} {{ objs|selectattr('v', 'none')|list }} "
        "{{ [3, 1, 2]|max }} {{ ['b', 'A', 'c']|min }} {{ ['b', 'A', 'c']|min(case_sensitive=true) }} "
        "{{ objs|max(attribute='v') }} {{ []|max }} {{ s|e }} {{ m|escape }} {{ nope|default('dflt') }} "
        "{{ ''|d('empty', true) }} {{ none|default('x') }}"
    ),
    "our-filters": (
        "{{ s|urlencode }} {{ weird|urlencode }} {{ d|urlencode }} {{ rows[0].items()|urlencode }} "
        "{{ n|urlencode }} {{ 'a/b c'|urlencode }} {{ jd|date }} {{ jd|time }} {{ jd|datetime }} "
        "{{ 'abcdef0123456789'|hname }} {{ 'abcdef'|hname(3) }} {{ 1234567|size }} {{ none|size }} "
        "{{ '[link] *x* <b>'|wiki }} {{ 'a <i>c</i>'|comment }}"
    ),
    "set-namespace": (
        "{% set ns = namespace(a=1, b='<') %}{% for x in items %}{% set ns.a = ns.a + 1 %}{% endfor %}"
        "{{ ns.a }}{{ ns.b }}{% set top = 'T' %}{{ top }}{% set a, b = 1, 2 %}{{ a + b }}"
        "{{ range(3)|list }}{{ dict(x=1) }}"
    ),
    "expressions": (
        "{{ n // 5 }} {{ n % 5 }} {{ n / 4 }} {{ -n }} {{ n ** 2 }} {{ 'x' * 3 }} {{ items[1:] }} "
        "{{ 'a' in items }} {{ 'x' in items }} {{ n if n > 40 else 'small' }} {{ none or 'alt' }} "
        "{{ not none }} {{ [1, 2] + [3] }} {{ (1, 2) }} {{ {'k': s} }} {{ s[:3] }} {{ 1 < n < 100 }}"
    ),
    "whitespace": "  {% if n %}\n    yes\n  {% endif %}\n{%- if n -%}  tight  {%- endif %}\n"
    "{# comment #}\n{% raw %}{{ x }}{% endraw %}",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_constructs_render_as_jinja2(case: str) -> None:
    def values() -> dict[str, Any]:
        return {**VALUES, "gen": (c for c in "ab<")}

    ours = runtime_env({"t": CASES[case]}).get_template("t").render(**values())
    theirs = reference_env(jinja2.DictLoader({"t": CASES[case]})).get_template("t").render(**values())
    assert ours == theirs
    assert ours.strip()


def test_some_outputs_exactly() -> None:
    """The comparison above could pass with both wrong: a few outputs written out."""
    ours, theirs = both({"t": CASES["print"]}, **VALUES)
    assert (
        ours
        == theirs
        == (
            "a&lt;b&gt; &amp; &#39;c&#39; &#34;d&#34;|<b>bold</b>|42|2.5|None||"
            "[&#39;x&#39;, &#39;&lt;y&gt;&#39;, &#39;z&#39;]|{&#39;B&#39;: 2, &#39;a&#39;: 1, &#39;c&#39;: 3}|n1"
        )
    )
    ours, _ = both({"t": "{% for x in items %}{{ loop.index }}{{ x }}{{ ',' if not loop.last }}{% endfor %}"}, **VALUES)
    assert ours == "1x,2&lt;y&gt;,3z"


def test_inheritance_include_import_and_macros() -> None:
    sources = {
        "base.html": "<title>{% block title %}T{% endblock %}</title>{% block body %}{% endblock %}"
        "{% include 'foot.html' %}",
        "mid.html": "{% extends 'base.html' %}{% block title %}M-{{ s }}{% endblock %}",
        "foot.html": "<footer>{{ s }}{{ local_only }}{{ n }}</footer>",
        "macros.html": "{% macro link(url, text='dflt', cls=none) %}<a href=\"{{ url }}\""
        '{% if cls %} class="{{ cls }}"{% endif %}>{{ text }}</a>{% endmacro %}'
        "{% macro wrap() %}[{{ caller() }}]{% endmacro %}",
        "t": "{% extends 'mid.html' %}{% from 'macros.html' import link, wrap %}"
        "{% block body %}{% set local_only = 'L' %}{{ link('/x?a=1&b=2') }}{{ link(s, text=m, cls='c') }}"
        "{% call wrap() %}in {{ s }}{% endcall %}{% for r in rows %}{% include 'foot.html' %}{% endfor %}"
        "{% import 'macros.html' as mac %}{{ mac.link('/y') }}{% endblock %}",
    }
    ours, theirs = both(sources, **VALUES)
    assert ours == theirs
    assert ours.startswith("<title>M-a&lt;b&gt;") and '<a href="/x?a=1&amp;b=2">dflt</a>' in ours


def test_errors_are_jinja2s() -> None:
    """An undefined value used for more than printing fails with jinja2's message."""
    for text in ("{{ nope.attr }}", "{{ d.zz.yy }}", "{{ nope + 1 }}", "{{ objs[5].x }}", "{{ nope() }}"):
        with pytest.raises(UndefinedError) as ours:
            runtime_env({"t": text}).get_template("t").render(**VALUES)
        with pytest.raises(jinja2.UndefinedError) as theirs:
            reference_env(jinja2.DictLoader({"t": text})).get_template("t").render(**VALUES)
        assert str(ours.value) == str(theirs.value), text
    with pytest.raises(tplenv.TemplateNotFound):
        runtime_env({"t": "{% include 'gone.html' %}"}).get_template("t").render()


def test_filters_take_what_jinja2s_take() -> None:
    """Each built-in filter and test of the runtime wants the same first argument as jinja2's."""
    from jinja2.utils import _PassArg

    from fossilpy.web.tplruntime import pass_arg

    env = jinja2.Environment()
    for table, theirs in ((tplenv.FILTERS, env.filters), (tplenv.TESTS, env.tests)):
        for name, func in table.items():
            expected = _PassArg.from_obj(theirs[name])
            assert pass_arg(func) == (expected.name if expected else None), name


@pytest.mark.parametrize(
    "text, refused",
    [
        ("{{ s|wordcount }}", "the filter 'wordcount'"),
        ("{{ s is string }}", "the test 'string'"),
        ("{% block b %}{{ super() }}{% endblock %}", "context.super"),
        ("{% for x in items recursive %}{{ loop(x) }}{% endfor %}", "a recursive loop"),
        ("{{ self.b() }}{% block b %}{% endblock %}", "self"),
        ("{{ lipsum() }}", "the global 'lipsum'"),
        ("{% autoescape false %}{{ s }}{% endautoescape %}", "autoescape"),
    ],
)
def test_what_the_runtime_lacks_is_refused_by_name(text: str, refused: str) -> None:
    with pytest.raises(TemplateError) as err:
        runtime_env({"t": text}).get_template("t")
    assert refused in str(err.value) and "template t:" in str(err.value)


def test_template_text_may_mention_those_names() -> None:
    text = "context.super() template.x environment.foo loop.bar {{ '{{ self }}' }} TemplateReference("
    ours, theirs = both({"t": text})
    assert ours == theirs == "context.super() template.x environment.foo loop.bar {{ self }} TemplateReference("


def test_every_template_compiles_for_the_runtime(tmp_path: Path) -> None:
    names = sorted(os.listdir(ROOT / "www" / "templates"))
    r = render.Renderer(str(tmp_path))
    for name in names:
        assert isinstance(r.env.get_template(name), tplenv.Template), name
    assert len(names) >= 90
