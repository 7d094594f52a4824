"""Julian-day times as Fossil writes them into SQL text.

Fossil puts most Julian-day times into SQL text with its own printf "%.17g"
(src/printf.c), and SQLite parses that text back.  That printf works in x87
80-bit long double: it scales the value into [1,10) by repeated
multiplication with the double constants 1e-32, 1e-8, 0.1 (or 1e8, 10),
adds a rounder (0.5 * 0.1**16 computed in double), then peels off at most
16 significant digits, each step rounded to a 64-bit significand.  The
scaling errors show in the 16th digit, so the stored REAL differs from the
artifact's exact julianday() (e.g. 2460310.54375 is stored as
2460310.543750001).  fossil_real() reproduces the text exactly.

``fossil_real`` is what to store wherever Fossil formats a time with
``%.17g`` (plink, event, backlink, attachment, forumpost mtimes); values
Fossil binds as doubles (tagxref.mtime) are stored unchanged.
"""

from __future__ import annotations


def _dconst(x: float) -> tuple[int, int]:
    n, d = x.as_integer_ratio()
    return n, -(d.bit_length() - 1)


_C_TENTH = _dconst(0.1)
_C_TEN = _dconst(10.0)
_C_E8 = _dconst(1e8)
_C_EM8 = _dconst(1e-8)
_C_E32 = _dconst(1e32)
_C_EM32 = _dconst(1e-32)
_C_ONE = (1, 0)
_C_TENI = (10, 0)


def _rounder() -> tuple[int, int]:
    r = 0.5
    for _ in range(16):
        r *= 0.1
    return _dconst(r)


_C_ROUNDER = _rounder()


def _ld_round(m: int, e: int) -> tuple[int, int]:
    """Round m*2**e to a 64-bit significand, ties to even (x87 extended)."""
    bl = m.bit_length()
    if bl <= 64:
        return m, e
    s = bl - 64
    q = m >> s
    rem = m - (q << s)
    half = 1 << (s - 1)
    if rem > half or (rem == half and q & 1):
        q += 1
        if q.bit_length() > 64:
            q >>= 1
            s += 1
    return q, e + s


def _ld_ge(m: int, e: int, c: tuple[int, int]) -> bool:
    cm, ce = c
    if e >= ce:
        return (m << (e - ce)) >= cm
    return m >= (cm << (ce - e))


def _ld_mul(m: int, e: int, c: tuple[int, int]) -> tuple[int, int]:
    return _ld_round(m * c[0], e + c[1])


def _ld_add(m: int, e: int, c: tuple[int, int]) -> tuple[int, int]:
    cm, ce = c
    if e >= ce:
        return _ld_round((m << (e - ce)) + cm, ce)
    return _ld_round(m + (cm << (ce - e)), e)


def format_g17(x: float) -> str:
    """Fossil's ``%.17g`` text of ``x`` (see above)."""
    if 1.0 <= x < 1e8:
        text = _format_1_to_1e8(x)
        if text is not None:
            return text
    return _format_any(x)


def _format_1_to_1e8(x: float) -> str | None:
    """:func:`_format_any` for 1 <= x < 1e8 (every Julian day), the same
    steps with the 80-bit rounding written out inline; None in the rare
    cases it leaves to the general code (the rounder carries the value to
    10, a digit step rounds up to 10)."""
    n, d = x.as_integer_ratio()
    m = n
    e = 1 - d.bit_length()
    exp = 0
    tm, te = _C_TENTH
    # scale into [1, 10) by multiplying with the double 0.1
    while (m << e >= 10) if e >= 0 else (m >= 10 << -e):
        m *= tm
        e += te
        m, e = _ld_round(m, e)
        exp += 1
    if e >= 0 or m < 1 << -e:
        return None
    # add the rounder (its exponent is far below e)
    cm, ce = _C_ROUNDER
    if e < ce:
        return None
    m = (m << (e - ce)) + cm
    e = ce
    m, e = _ld_round(m, e)
    if e >= 0:
        return None
    if m >= 10 << -e:
        return None  # rounded up to 10: left to the general code
    # the 16 digits, as one integer (the first digit is not 0)
    sh = -e
    acc = 0
    for _ in range(16):
        dg = m >> sh
        if dg > 9:
            return None  # left to the general code
        m -= dg << sh
        acc = acc * 10 + dg
        if m:
            m *= 10
            m, e2 = _ld_round(m, -sh)
            sh = -e2
            if sh <= 0:
                return None
    text = str(acc)
    frac = text[exp + 1 :].rstrip("0")
    return text[: exp + 1] + "." + frac if frac else text[: exp + 1]


def _format_any(x: float) -> str:
    """:func:`format_g17` for any double, step by step."""
    prec = 16
    prefix = ""
    if x < 0:
        x = -x
        prefix = "-"
    m, e = _dconst(x) if x else (0, 0)
    exp = 0
    if m:
        while _ld_ge(m, e, _C_E32) and exp <= 350:
            m, e = _ld_mul(m, e, _C_EM32)
            exp += 32
        while _ld_ge(m, e, _C_E8) and exp <= 350:
            m, e = _ld_mul(m, e, _C_EM8)
            exp += 8
        while _ld_ge(m, e, _C_TENI) and exp <= 350:
            m, e = _ld_mul(m, e, _C_TENTH)
            exp += 1
        while not _ld_ge(m, e, _C_EM8) and exp >= -350:
            m, e = _ld_mul(m, e, _C_E8)
            exp -= 8
        while not _ld_ge(m, e, _C_ONE) and exp >= -350:
            m, e = _ld_mul(m, e, _C_TEN)
            exp -= 1
    m, e = _ld_add(m, e, _C_ROUNDER) if m else _C_ROUNDER
    if _ld_ge(m, e, _C_TENI):
        m, e = _ld_mul(m, e, _C_TENTH)
        exp += 1
    use_exp = exp < -4 or exp > prec
    precision = prec if use_exp else prec - exp
    e2 = 0 if use_exp else exp
    # the (at most 16) significant digits, peeled off as Fossil's printf does
    digits = []
    for _ in range(16):
        if e >= 0:
            dg = m << e
            m = 0
        else:
            dg = m >> -e
            m -= dg << -e
        digits.append(chr(48 + dg))
        if m:
            m, e = _ld_round(m * 10, e)
    it = iter(digits)
    out = [prefix]
    if e2 < 0:
        out.append("0")
    else:
        out.extend(next(it, "0") for _ in range(e2 + 1))
    if precision > 0:
        out.append(".")
    e2 += 1
    while e2 < 0 and precision > 0:
        out.append("0")
        precision -= 1
        e2 += 1
    out.extend(next(it, "0") for _ in range(max(precision, 0)))
    text = "".join(out)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if use_exp and exp:
        sign = "-" if exp < 0 else "+"
        exp = abs(exp)
        text += "e" + sign + (str(exp) if exp >= 100 else f"{exp:02d}")
    return text


def fossil_real(x: float) -> float:
    """The REAL that SQLite stores when Fossil writes ``x`` with ``%.17g``."""
    return float(format_g17(x))
