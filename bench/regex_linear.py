"""Linear time: every regular expression of the package, and the redactor's and the leak
scanner's public entry points, timed on adversarial text of 100 KB and of 1 MB.

Work that is linear in the text grows about 10x between the two sizes; a rule that backtracks
over a long run of its own characters (the old e-mail rule on a 150,000-character symbol with
an ``@``) grows about 100x. The verdict is *linear* below 30x (``LIMIT``).

The rules are discovered, not listed: every ``re.Pattern`` held by a module of the
``jainam_validate`` package (the simulator excepted) at module level, in a module-level
container, as a class attribute, or on a configured ``Redactor`` (a compiled alternation of
known values). Each rule is timed the way the package calls it: ``finditer`` (consumed) plus
``search``, or only ``match``/``fullmatch`` when the package's source never calls anything else
on that name. Adversarial inputs are derived from the rule's own parse tree: runs of a character
each class accepts, a mixed run of the class, repeats of each literal ("eyJ", "@", "token"),
a literal in the middle of a run, a small matching example repeated back to back, cut short,
and its prefixes repeated. A screening pass at 1 KB and 10 KB picks the worst two inputs (the
largest growth, the largest time); those are timed at 10 KB, 100 KB and 1 MB, best of 3 (a run
of ``LONG_RUN_S`` or more is not repeated; in the test, nor is a 1 MB run already under the
limit: noise only adds time, so more runs could only lower the growth). The entry points
(``scrub``, ``redact``, ``Scanner.findings``, ``audit`` of a one-line file, and ``learn_text``
where it exists, on the key=value texts) run on a fixed list of adversarial texts, each on a
fresh ``Redactor(b"k"*32)`` that knows three secrets and three ids; ``audit`` is also timed on a
2 MB line (growth from 1 MB below ``HUGE_LIMIT``).

CPython's regex engine holds the GIL and cannot be interrupted, so every run happens in a
forked worker process that is killed on time-out (and forked again for the next run):

- a 100 KB run is not waited for past ``GUARD_S`` (1 s in the test): the job fails, with the
  growth one decade down (1 KB -> 10 KB) as the evidence;
- if 10 KB -> 100 KB already grew ``LIMIT``x, twice in a row, the 1 MB run is skipped: for a cost
  a + b*n + c*n**2 the growth per decade only rises with n;
- a 1 MB run is killed once it has taken ``LIMIT`` x the 100 KB time (at least ``FLOOR_S``, at
  most ``MAX_WAIT_S``), which already decides the verdict; a kill under ``RETRY_CAP_S`` is
  retried once, and a growth between ``LIMIT`` and twice that is measured again, so load from
  other processes is not mistaken for growth.

A quadratic or exponential rule therefore fails in seconds instead of hanging.

Run it alone (``.venv/bin/python bench/regex_linear.py [--src DIR] [--only rules|entries]``)
or as the ``regex`` section of ``bench/run.py``. ``tests/unit/test_linear_time.py`` asserts the
same measurements.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import gc
import importlib
import math
import multiprocessing
import pkgutil
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

try:
    from re import _parser as _sre_parse  # the parser behind re.compile (Python 3.11+)
except ImportError:  # pragma: no cover - older or other Pythons: generic inputs only
    _sre_parse = None

PACKAGE = "jainam_validate"
SKIP_PACKAGES = ("jainam_validate.simulator",)

SMALL = 100_000  # characters ("100 KB": the inputs are ASCII)
LARGE = 1_000_000
HUGE = 2_000_000  # audit of a 2 MB one-line file
SCREEN = (1_000, 10_000)
LIMIT = 30.0  # LARGE / SMALL time: linear ~10x, quadratic ~100x
HUGE_LIMIT = 3.0  # HUGE / LARGE time: linear ~2x, quadratic ~4x
REPEATS = 3  # best of
GUARD_S = 1.0  # a SMALL run slower than this is killed: the job fails at once
FLOOR_S = 2.0  # a run's time-out is LIMIT x the time one decade down, never less than this
MAX_WAIT_S = 10.0  # nor more than this (10x GUARD_S: a linear job is never cut short)
RETRY_CAP_S = 5.0  # a LARGE run killed this early is retried once (noise, not growth)
LONG_RUN_S = 1.0  # a run this long is not repeated: noise is small next to it
MAX_ATTACKS = 80  # adversarial inputs per rule
SCANNING_OPS = ("finditer", "search")
ANCHORED_OPS = ("match", "fullmatch")
_OP_OF_USE = {
    "finditer": "finditer",
    "findall": "finditer",
    "sub": "finditer",
    "subn": "finditer",
    "split": "finditer",
    "scanner": "finditer",
    "search": "search",
    "match": "match",
    "fullmatch": "fullmatch",
}


# -- adversarial text -------------------------------------------------------------------------
@dataclass(frozen=True)
class Attack:
    """One adversarial input: ``spec`` determines the text at any size, ``label`` shows it."""

    label: str
    spec: tuple[str, ...]


def build(spec: tuple[str, ...], n: int) -> str:
    """The text of ``spec`` at ``n`` characters (one line unless the spec holds a newline)."""
    kind = spec[0]
    if kind == "repeat":  # ("repeat", unit)
        unit = spec[1]
        return (unit * (n // len(unit) + 1))[:n]
    if kind == "middle":  # ("middle", run, literal): run*n/2 + literal + run*n/2
        run, lit = spec[1], spec[2]
        left = (n - len(lit)) // 2
        right = n - len(lit) - left
        return (run * left)[:left] + lit + (run * right)[:right]
    raise ValueError(f"unknown input spec {spec!r}")


def _show(text: str, width: int = 22) -> str:
    shown = repr(text)
    if len(shown) <= width:
        return shown
    return f"{shown[: width - 4]}…{shown[-3:]}({len(text)})"


def repeat(unit: str) -> Attack:
    label = f"{_show(unit)}*n" if len(unit) == 1 else f"{_show(unit)}*k"
    return Attack(label, ("repeat", unit))


def middle(run: str, lit: str) -> Attack:
    return Attack(f"{_show(run)}*n/2+{_show(lit)}+{_show(run)}*n/2", ("middle", run, lit))


#: The characters a class is probed with: printable ASCII, the line breaks, a few others.
_UNIVERSE = [chr(c) for c in range(0x20, 0x7F)] + list("\t\n\r\x0b\x0c\x85\xa0é…\u2028\u2029")
_PREFERRED = "aA0_-.=@:/ %+#&\"'\\;,\t\n"
_ORDER = {c: i for i, c in enumerate(_PREFERRED)}
_CATEGORY = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
_REPEAT_OPS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _cases(ch: str, ignorecase: bool) -> set[str]:
    return {ch, ch.lower(), ch.upper()} if ignorecase else {ch}


def _in_category(category: str, ch: str, flags: int) -> bool:
    source = _CATEGORY.get(category)
    if source is None:  # line-break categories (not produced by the parser in practice)
        return ch == "\n"
    return re.fullmatch(source, ch, flags & re.ASCII) is not None


def _accepts(op: str, av: Any, ch: str, flags: int) -> bool:
    """Whether the single-character node ``(op, av)`` of a parse tree accepts ``ch``."""
    ignorecase = bool(flags & re.IGNORECASE)
    if op == "LITERAL":
        return chr(av) in _cases(ch, ignorecase)
    if op == "NOT_LITERAL":
        return chr(av) not in _cases(ch, ignorecase)
    if op == "ANY":
        return ch != "\n" or bool(flags & re.DOTALL)
    if op == "IN":
        negate, hit = False, False
        for item_op, item_av in av:
            name = str(item_op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                hit = hit or chr(item_av) in _cases(ch, ignorecase)
            elif name == "RANGE":
                lo, hi = item_av
                hit = hit or any(lo <= ord(c) <= hi for c in _cases(ch, ignorecase))
            elif name == "CATEGORY":
                hit = hit or _in_category(str(item_av), ch, flags)
        return hit != negate
    return False


def _members(op: str, av: Any, flags: int) -> tuple[str, ...]:
    return tuple(c for c in _UNIVERSE if _accepts(op, av, c, flags))


def _representatives(members: Sequence[str], most: int = 3) -> list[str]:
    """Up to ``most`` characters of a class, one per sort: letter, digit, anything else."""
    ranked = sorted(members, key=lambda c: (_ORDER.get(c, len(_ORDER)), c))
    picked: list[str] = []
    sorts: set[str] = set()
    for c in ranked:
        sort = "letter" if c.isalpha() else "digit" if c.isdigit() else "other"
        if sort not in sorts:
            sorts.add(sort)
            picked.append(c)
        if len(picked) == most:
            break
    return picked


def _mixed(members: Sequence[str]) -> str:
    """A mixed run of a class (alphanumerics first, up to 40 distinct characters)."""
    alnum = [c for c in members if c.isascii() and c.isalnum()]
    other = [c for c in members if c not in alnum and c.isprintable() and c != " "]
    return "".join((alnum + other)[:40])


@dataclass
class _Shape:
    """What a parse tree holds: its character classes and its literal strings, in order."""

    classes: list[tuple[str, ...]] = field(default_factory=list)
    literals: list[str] = field(default_factory=list)

    def add_class(self, members: tuple[str, ...]) -> None:
        if members and members not in self.classes:
            self.classes.append(members)

    def add_literal(self, text: str) -> None:
        if text and text not in self.literals:
            self.literals.append(text)


def _local_flags(av: Any, flags: int) -> int:
    add, remove = (av[1] or 0), (av[2] or 0)
    return (flags | add) & ~remove


def _walk(sub: Any, flags: int, shape: _Shape) -> None:
    run: list[str] = []
    for op_code, av in sub:
        op = str(op_code)
        if op == "LITERAL":
            run.append(chr(av))
            continue
        shape.add_literal("".join(run))
        run = []
        if op in ("IN", "NOT_LITERAL", "ANY"):
            shape.add_class(_members(op, av, flags))
        elif op == "BRANCH":
            for branch in av[1]:
                _walk(branch, flags, shape)
        elif op == "SUBPATTERN":
            _walk(av[3], _local_flags(av, flags), shape)
        elif op in _REPEAT_OPS:
            _walk(av[2], flags, shape)
        elif op in ("ASSERT", "ASSERT_NOT"):
            _walk(av[1], flags, shape)
        elif op == "ATOMIC_GROUP":
            _walk(av, flags, shape)
        elif op == "GROUPREF_EXISTS":
            _walk(av[1], flags, shape)
            if av[2] is not None:
                _walk(av[2], flags, shape)
    shape.add_literal("".join(run))


def _example(sub: Any, flags: int) -> str:
    """A short text the subpattern matches (lookarounds ignored): the fewest repeats, the
    first branch, a preferred character of each class."""
    out: list[str] = []
    for op_code, av in sub:
        op = str(op_code)
        if op == "LITERAL":
            out.append(chr(av))
        elif op in ("IN", "NOT_LITERAL", "ANY"):
            reps = _representatives(_members(op, av, flags), 1)
            out.append(reps[0] if reps else "a")
        elif op == "BRANCH":
            out.append(_example(av[1][0], flags))
        elif op == "SUBPATTERN":
            out.append(_example(av[3], _local_flags(av, flags)))
        elif op in _REPEAT_OPS:
            out.append(_example(av[2], flags) * av[0])
        elif op == "ATOMIC_GROUP":
            out.append(_example(av, flags))
        elif op == "GROUPREF_EXISTS":
            out.append(_example(av[1], flags))
    return "".join(out)


def _generic_attacks() -> list[Attack]:
    """Inputs for a pattern the parser cannot read: runs of the usual suspects."""
    units = ["a", "A", "0", " ", ".", "-", "_", "=", "@", "%", "eyJ", "a@", "token=", "aA0+/"]
    return [repeat(u) for u in units]


def attacks(pattern: re.Pattern[Any]) -> list[Attack]:
    """Adversarial inputs derived from ``pattern``'s own character classes and literals."""
    if _sre_parse is None or not isinstance(pattern.pattern, str):
        return _generic_attacks()
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - a parser that changed shape
        return _generic_attacks()
    flags = pattern.flags | tree.state.flags
    shape = _Shape()
    _walk(tree, flags, shape)
    found: dict[tuple[str, ...], Attack] = {}

    def add(attack: Attack) -> None:
        if attack.spec not in found and all(attack.spec[1:]):
            found[attack.spec] = attack

    reps: list[str] = []
    for members in shape.classes[:10]:
        for c in _representatives(members):
            add(repeat(c))
            if c not in reps:
                reps.append(c)
        if len(members) >= 3:
            add(repeat(_mixed(members)))
    literals = shape.literals[:10]
    for lit in literals:
        add(repeat(lit))
    example = _example(tree, flags)
    if example and pattern.search(example) is None and pattern.search(f" {example} "):
        example = f" {example} "
    if example and pattern.search(example) is not None:
        core = example.strip() or example
        add(repeat(core))
        add(repeat(core + " "))
        if len(core) > 1:
            add(repeat(core[:-1]))
            add(repeat(core[:-1] + " "))
            cuts = {1, 2, 3, len(core) // 4, len(core) // 2, 3 * len(core) // 4, len(core) - 2}
            for cut in sorted(c for c in cuts if 0 < c < len(core) - 1):
                add(repeat(core[:cut]))
    for lit in literals[:5]:
        for c in reps[:3]:
            add(middle(c, lit))
            add(repeat(lit + c * 16))
            add(repeat(c * 16 + lit))
    return list(found.values())[:MAX_ATTACKS]


# -- discovery --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One compiled regex of the package, named where it lives, timed the way it is used."""

    name: str  # module.NAME, module.Class.NAME, module.NAME[i], Redactor()._attr
    pattern: re.Pattern[Any]
    ops: tuple[str, ...]
    uses: tuple[str, ...]  # the methods the package's source calls on this name


@dataclass
class Discovery:
    rules: list[Rule]
    modules: list[str]
    import_errors: dict[str, str]
    inline_calls: list[str]  # re.search(...)-style call sites, not covered by a rule


def _package_modules(import_errors: dict[str, str]) -> list[ModuleType]:
    root = importlib.import_module(PACKAGE)
    modules = [root]
    pending = [(list(root.__path__), PACKAGE + ".")]
    while pending:
        path, prefix = pending.pop()
        for info in sorted(pkgutil.iter_modules(path, prefix), key=lambda i: i.name):
            name = info.name
            if name.rsplit(".", 1)[-1] == "__main__":
                continue
            if any(name == s or name.startswith(s + ".") for s in SKIP_PACKAGES):
                continue
            try:
                module = importlib.import_module(name)
            except Exception as exc:  # a module mid-refactor: reported, not fatal here
                import_errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            modules.append(module)
            if info.ispkg:
                pending.append((list(module.__path__), name + "."))
    return modules


def _patterns_in(value: Any, path: str, depth: int, seen: set[int]) -> Iterator[tuple[str, Any]]:
    """(path, pattern) for every pattern in ``value``: containers, objects and classes of the
    package, a few levels deep."""
    if isinstance(value, re.Pattern):
        yield path, value
        return
    if depth <= 0 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        for key, item in list(value.items())[:1000]:
            yield from _patterns_in(item, f"{path}[{key!r}]", depth - 1, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        for i, item in enumerate(list(items)[:1000]):
            yield from _patterns_in(item, f"{path}[{i}]", depth - 1, seen)
    elif isinstance(value, type):
        if value.__module__.startswith(PACKAGE):
            for name, item in vars(value).items():
                if not name.startswith("__"):
                    yield from _patterns_in(item, f"{path}.{name}", depth - 1, seen)
    elif type(value).__module__.startswith(PACKAGE) and not callable(value):
        attrs = dict(getattr(value, "__dict__", {}))
        for slot in getattr(type(value), "__slots__", ()):
            if hasattr(value, slot):
                attrs[slot] = getattr(value, slot)
        for name, item in attrs.items():
            yield from _patterns_in(item, f"{path}.{name}", depth - 1, seen)


def _uses(name: str, sources: Sequence[str]) -> tuple[str, ...]:
    """The methods called on ``name`` anywhere in the package (``_EMAIL.finditer(`` ...)."""
    call = re.compile(rf"(?<![\w.]){re.escape(name)}\s*\.\s*(\w+)\s*\(")
    return tuple(sorted({m.group(1) for src in sources for m in call.finditer(src)}))


def _ops_for(uses: Sequence[str]) -> tuple[str, ...]:
    ops = {_OP_OF_USE[u] for u in uses if u in _OP_OF_USE}
    if ops and ops <= set(ANCHORED_OPS):
        return tuple(op for op in ANCHORED_OPS if op in ops)
    return SCANNING_OPS  # scanning use, or none found: assume the worst


def _defines(source: str, name: str) -> bool:
    return re.search(rf"(?m)^{re.escape(name)}\s*(?::[^=\n]*)?=\s*re\.compile", source) is not None


_INLINE_CALL = re.compile(
    r"(?<![\w.])re\.(?:search|match|fullmatch|finditer|findall|sub|subn|split)\(\s*[rbf]*['\"]"
)


def discover(extra: Sequence[tuple[str, Any]] = ()) -> Discovery:
    """Every compiled regex held by the package's modules, plus those in ``extra`` objects
    (``("Redactor()", redactor)``): found by type, wherever they moved."""
    errors: dict[str, str] = {}
    modules = _package_modules(errors)
    sources: dict[str, str] = {}
    for module in modules:
        file = getattr(module, "__file__", None)
        if file and file.endswith(".py"):
            sources[module.__name__] = Path(file).read_text(encoding="utf-8")
    holders: dict[int, list[tuple[str, str, re.Pattern[Any]]]] = {}
    for module in modules:
        short = module.__name__.removeprefix(PACKAGE + ".")
        for attr, value in sorted(vars(module).items()):
            if attr.startswith("__") or isinstance(value, ModuleType):
                continue
            if isinstance(value, type) and value.__module__ != module.__name__:
                continue  # a class imported from elsewhere is searched where it is defined
            for path, pattern in _patterns_in(value, attr, 3, set()):
                holders.setdefault(id(pattern), []).append((short, path, pattern))
    all_sources = list(sources.values())
    rules: list[Rule] = []
    for places in holders.values():
        # a pattern imported into other modules is named after the module that compiles it
        def rank(place: tuple[str, str, re.Pattern[Any]]) -> int:
            module_name = place[0] if place[0] == PACKAGE else f"{PACKAGE}.{place[0]}"
            return 0 if _defines(sources.get(module_name, ""), place[1]) else 1

        short, path, pattern = min(places, key=rank)
        attr = path.split(".")[-1].split("[")[0]
        uses = _uses(attr, all_sources) if "[" not in path else ()
        rules.append(Rule(f"{short}.{path}", pattern, _ops_for(uses), uses))
    for label, obj in extra:
        for path, pattern in _patterns_in(obj, label, 3, set()):
            if id(pattern) not in holders:
                holders[id(pattern)] = []
                rules.append(Rule(path, pattern, SCANNING_OPS, ()))
    inline = [
        f"{name}:{src.count(chr(10), 0, m.start()) + 1}"
        for name, src in sorted(sources.items())
        for m in _INLINE_CALL.finditer(src)
    ]
    rules.sort(key=lambda r: r.name)
    return Discovery(rules, [m.__name__ for m in modules], errors, inline)


# -- the public entry points ------------------------------------------------------------------
SECRETS = (
    "s3cr3t-AppKey-0001",
    "Xy7pQ2zR9wLm3vT8",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJKQzQxODcifQ.c2lnbmF0dXJlLXNpZ24tMQ",
)
IDENTIFIERS = (("AB12345", "client"), ("5520013", "order"), ("JC4187", "user"))
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_RANDOM = random.Random(20_240_601)
_BASE64_RUN = "".join(_RANDOM.choice(_B64) for _ in range(4099))
_BASE64_WORDS = " ".join("".join(_RANDOM.choice(_B64) for _ in range(40)) + "==" for _ in range(64))


def entry_inputs() -> list[Attack]:
    """Adversarial texts for the entry points (the defect report's and a few more)."""
    return [
        middle("A", "@"),  # a 1 MB "symbol" with an @ in the middle
        repeat("eyJ"),
        repeat("a@"),
        Attack("base64 run (one token)", ("repeat", _BASE64_RUN)),
        Attack("base64 words of 42 chars", ("repeat", _BASE64_WORDS + " ")),
        repeat("token="),
        repeat("token=Xy7pQ2zR9wL "),
        repeat("clientID="),
        repeat("clientID=AB12345&"),
        repeat("9"),
        repeat("5520013"),
        repeat("%3D"),
        repeat("ab.cd@ex.in "),
        repeat("ABCDE1234F "),
        Attack("JWT-shaped tokens*k", ("repeat", f"eyJ{'a' * 20}.{'b' * 20}.{'c' * 20} ")),
        repeat("AB12345 JC4187 "),
        repeat("\\u0041"),
        repeat("order: 1100012345 "),
    ]


def make_redactor() -> Any:
    """``Redactor(b"k"*32)`` that knows a few secrets and ids, its matchers built (untimed)."""
    from jainam_validate.redact import Redactor

    redactor = Redactor(b"k" * 32)
    for secret in SECRETS:
        redactor.add_secret(secret)
    for value, kind in IDENTIFIERS:
        redactor.add_identifier(value, kind)
    redactor.scrub("warm-up AB12345 5520013 JC4187 token=x a@b.in " + SECRETS[0])
    return redactor


def _consume(iterable: Any) -> None:
    collections.deque(iterable, maxlen=0)


def entry_points(workdir: Path) -> dict[str, tuple[Callable[[str], Any], Callable[[Any], Any]]]:
    """name -> (prepare(text), run(prepared)): what is timed is ``run`` on a fresh redactor."""
    from jainam_validate import audit as audit_module
    from jainam_validate.scanner import Scanner

    def scrub_prepare(text: str) -> Any:
        return make_redactor(), text

    def audit_prepare(text: str) -> Any:
        path = workdir / f"line-{len(text)}-{abs(hash(text)) % 10**8}.txt"
        if not path.exists():
            for old in workdir.glob("line-*.txt"):
                old.unlink()
            path.write_text(text, encoding="utf-8")
        return Scanner(make_redactor()), path

    points: dict[str, tuple[Callable[[str], Any], Callable[[Any], Any]]] = {
        "scrub": (scrub_prepare, lambda p: p[0].scrub(p[1])),
        "redact": (scrub_prepare, lambda p: p[0].redact({"TradingSymbol": p[1]})),
        "findings": (
            lambda text: (Scanner(make_redactor()), text),
            lambda p: _consume(p[0].findings(p[1])),
        ),
        "audit": (audit_prepare, lambda p: audit_module.audit([p[1]], p[0])),
    }
    from jainam_validate.redact import Redactor

    if hasattr(Redactor, "learn_text"):  # free-text learning, where the tree has it
        points["learn_text"] = (scrub_prepare, lambda p: p[0].learn_text(p[1]))
    return points


# -- the worker -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """Something to time on a text: the text comes from ``spec``, ``prepare`` is untimed."""

    spec: tuple[str, ...]
    prepare: Callable[[str], Any]
    run: Callable[[Any], Any]


def regex_job(rule: Rule, attack: Attack) -> Job:
    pattern, ops = rule.pattern, rule.ops
    as_bytes = isinstance(pattern.pattern, bytes)

    def prepare(text: str) -> Any:
        return text.encode("latin-1", "ignore") if as_bytes else text

    def run(text: Any) -> None:
        for op in ops:
            if op == "finditer":
                _consume(pattern.finditer(text))
            else:
                getattr(pattern, op)(text)

    return Job(attack.spec, prepare, run)


def _serve(registry: dict[str, Job], conn: Any) -> None:
    """The worker's loop: (key, size) -> ("ready",) then ("done", seconds) or ("error", text)."""
    cached: tuple[tuple[str, ...], int] | None = None
    text = ""
    gc.freeze()  # what the parent built is permanent: collections only look at new objects
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        key, size = request
        try:
            job = registry[key]
            if cached != (job.spec, size):
                text, cached = build(job.spec, size), (job.spec, size)
            prepared = job.prepare(text)
            if size >= SMALL:
                gc.collect()  # not before the many small screening runs: it costs more than they do
            conn.send(("ready",))
            gc.disable()
            try:
                started = time.perf_counter()
                job.run(prepared)
                elapsed = time.perf_counter() - started
            finally:
                gc.enable()
            del prepared
            conn.send(("done", elapsed))
        except Exception:
            conn.send(("error", traceback.format_exc()))


class Worker:
    """Times jobs in a forked child that is killed when a run outlives its time-out: the
    regex engine cannot be interrupted from inside the process that runs it."""

    PREPARE_TIMEOUT_S = 60.0

    def __init__(self, registry: dict[str, Job]) -> None:
        self.registry = registry
        self._proc: Any = None
        self._conn: Any = None
        self._known: frozenset[str] = frozenset()
        self.kills = 0

    def _spawn(self) -> None:
        context = multiprocessing.get_context("fork")  # the registry is inherited, not pickled
        here, there = context.Pipe()
        proc = context.Process(
            target=_serve, args=(self.registry, there), daemon=True, name="linear-time-worker"
        )
        proc.start()
        there.close()
        self._proc, self._conn, self._known = proc, here, frozenset(self.registry)

    def time(self, key: str, size: int, timeout: float) -> float | None:
        """Seconds one run of ``key`` on ``size`` characters took, or None when it was killed
        after ``timeout`` seconds."""
        if self._proc is None or key not in self._known:
            self.stop()
            self._spawn()
        conn = self._conn
        conn.send((key, size))
        for wait in (self.PREPARE_TIMEOUT_S, timeout):
            if not conn.poll(wait):
                self._kill()
                return None
            try:
                message = conn.recv()
            except EOFError as exc:
                self._kill()
                raise RuntimeError(f"the timing worker died running {key!r}") from exc
            if message[0] == "error":
                raise RuntimeError(f"{key!r} at {size} chars raised in the worker:\n{message[1]}")
            if message[0] == "done":
                return float(message[1])
        raise RuntimeError(f"unexpected worker answer for {key!r}")  # pragma: no cover

    def _kill(self) -> None:
        self.kills += 1
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn, self._known = None, None, frozenset()

    def stop(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._proc.join(2)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        self._close()


# -- growth -----------------------------------------------------------------------------------
@dataclass
class Growth:
    """How the time of one job grew from ``small`` to ``large`` characters (and, for the
    record, from ``small // 10`` to ``small``)."""

    subject: str
    input: str
    small: int = SMALL
    large: int = LARGE
    limit: float = LIMIT
    lower_s: float | None = None  # best at small // 10
    small_s: float | None = None  # best at small
    large_s: float | None = None  # best at large
    killed: tuple[int, float] | None = None  # (size, seconds): the run that was not waited for
    ratio: float | None = None  # large_s / small_s, when both were measured
    bound: float | None = None  # large / small grew more than this (the large run was killed)
    lower_ratio: float | None = None  # growth one decade down (small // 10 -> small, or lower)
    lower_label: str = ""  # which decade, and "more than" when it is a bound
    skipped: str = ""  # why the large run was not run at all
    linear: bool = True

    @property
    def exponent(self) -> float | None:
        """log(growth) / log(size factor): ~1 linear, ~2 quadratic (a lower bound when a run
        was killed)."""
        known = []
        if self.ratio is not None:
            known.append(math.log(max(self.ratio, 1e-9)) / math.log(self.large / self.small))
        if self.bound is not None:
            known.append(math.log(max(self.bound, 1e-9)) / math.log(self.large / self.small))
        if self.lower_ratio is not None and (self.ratio is None or not self.linear):
            known.append(math.log(max(self.lower_ratio, 1e-9)) / math.log(10))
        return max(known) if known else None

    @property
    def verdict(self) -> str:
        if self.linear:
            return "linear"
        exponent = self.exponent
        if exponent is None or exponent < 1.75:
            return "superlinear"
        return "quadratic" if exponent < 2.5 else "worse than quadratic"

    def ratio_text(self) -> str:
        if self.ratio is not None:
            return f"{self.ratio:.1f}x"
        if self.bound is not None:
            return f"> {self.bound:.0f}x"
        if self.lower_ratio is not None:
            return f"? ({self.lower_label}: {self.lower_ratio:.0f}x)"
        return "?"

    @property
    def estimate_large_s(self) -> float | None:
        """The large time extrapolated from the measured decade below (when not measured)."""
        if self.large_s is not None or self.lower_ratio is None or "than" in self.lower_label:
            return None
        base, size = (
            (self.small_s, self.small) if self.small_s else (self.lower_s, self.small // 10)
        )
        if base is None:
            return None
        return base * self.lower_ratio ** math.log10(self.large / size)

    def time_text(self, size: int) -> str:
        value = {self.small // 10: self.lower_s, self.small: self.small_s, self.large: self.large_s}
        if value.get(size) is not None:
            return fmt_s(value[size])
        text = "-"
        if self.killed is not None and self.killed[0] == size:
            text = f"killed at {self.killed[1]:.1f} s"
        elif size == self.large and self.skipped:
            text = "not run"
        estimate = self.estimate_large_s
        if size == self.large and estimate is not None:
            text += f" (~{fmt_s(estimate)} est.)"
        return text

    def explain(self) -> str:
        sizes = (self.small // 10, self.small, self.large)
        times = ", ".join(f"{_size(n)} {self.time_text(n)}" for n in sizes)
        text = f"{self.subject} on {self.input}: {times}; "
        text += f"growth {_size(self.small)}→{_size(self.large)} {self.ratio_text()}"
        if self.lower_ratio is not None and self.bound is not None:
            text += f" ({self.lower_label}: {self.lower_ratio:.1f}x)"
        if self.skipped:
            text += f" ({_size(self.large)} {self.skipped})"
        if self.bound is not None and self.bound < self.limit and self.killed is not None:
            text += f" ({_size(self.large)} not waited for past {self.killed[1]:.0f} s)"
        text += f"; linear ~{self.large / self.small:g}x, limit {self.limit:g}x: {self.verdict}"
        return text


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} KB"


def fmt_s(value: float | None, missing: str = "-") -> str:
    if value is None:
        return missing
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.001:
        return f"{value * 1000:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def best_of(
    worker: Worker,
    key: str,
    size: int,
    timeout: float,
    repeats: int = REPEATS,
    long_run: float = LONG_RUN_S,
) -> float | None:
    """The best of ``repeats`` runs (a run of ``long_run`` or more is not repeated: noise is
    small next to it); None when the first run was killed after ``timeout`` seconds."""
    times: list[float] = []
    for _ in range(repeats):
        t = worker.time(key, size, timeout)
        if t is None:
            return min(times) if times else None
        times.append(t)
        if t >= long_run:
            break
    return min(times)


def growth(
    worker: Worker,
    key: str,
    subject: str,
    input_label: str,
    *,
    small: int = SMALL,
    large: int = LARGE,
    limit: float = LIMIT,
    guard: float = GUARD_S,
    max_wait: float = MAX_WAIT_S,
    eager: bool = True,
) -> Growth:
    """Best-of-3 times at ``small // 10``, ``small`` and ``large`` characters, and the growth
    from ``small`` to ``large``, without waiting for a run that has already decided the
    verdict (see the module's docstring). ``eager=False`` (the bench) waits for the small run
    up to ``guard`` even when the decade below has already passed the limit, and takes the
    best of 3 large runs even when the first one already decides the verdict."""
    args = (worker, key, subject, input_label, small, large, limit, guard, max_wait, eager)
    g = _growth_once(*args)
    if g.ratio is not None and limit <= g.ratio < 2 * limit:
        # Borderline (linear is ~10x, quadratic ~100x): load from other processes on a shared
        # machine slows the large run most (its text does not fit the caches). Measure again
        # and keep the lower growth; a quadratic job grows as much again.
        again = _growth_once(*args)
        if again.ratio is not None and again.ratio < g.ratio:
            g = again
    return g


def _growth_once(
    worker: Worker,
    key: str,
    subject: str,
    input_label: str,
    small: int,
    large: int,
    limit: float,
    guard: float,
    max_wait: float,
    eager: bool,
) -> Growth:
    g = Growth(subject, input_label, small, large, limit=limit)
    lower = small // 10
    lower_guard = guard / 3  # a linear job takes a tenth of the small time there
    g.lower_s = best_of(worker, key, lower, lower_guard)
    if g.lower_s is None:  # not even a tenth of the small size runs under the guard
        g.linear, g.killed = False, (lower, lower_guard)
        tiny = best_of(worker, key, lower // 10, lower_guard)
        if tiny is not None:
            g.lower_ratio = lower_guard / max(tiny, 1e-9)
            g.lower_label = f"{_size(lower // 10)}→{_size(lower)} more than"
        return g
    # The decade below tells a quadratic job too: the small run is not waited for past LIMIT x
    # the lower time (nor past the guard).
    small_cap = min(guard, max(LIMIT * g.lower_s, FLOOR_S)) if eager else guard
    g.small_s = best_of(worker, key, small, small_cap)
    if g.small_s is None:
        g.linear, g.killed = False, (small, small_cap)
        if small_cap < guard:  # killed past LIMIT x the lower time: that is the evidence
            g.lower_ratio = small_cap / max(g.lower_s, 1e-9)
            g.lower_label = f"{_size(lower)}→{_size(small)} more than"
            return g
        tiny = best_of(worker, key, lower // 10, lower_guard)  # the growth one decade down
        if tiny is not None:
            g.lower_ratio = g.lower_s / max(tiny, 1e-9)
            g.lower_label = f"{_size(lower // 10)}→{_size(lower)}"
        return g
    g.lower_ratio = g.small_s / max(g.lower_s, 1e-9)
    g.lower_label = f"{_size(lower)}→{_size(small)}"
    if g.lower_ratio >= LIMIT:
        # Superlinear one decade down already. For a cost a + b*n + c*n**2 the growth over a
        # decade only rises with n, so the large run would grow at least as much: once a
        # second measurement confirms it, do not wait LIMIT x the small time to see it.
        again_lower = best_of(worker, key, lower, lower_guard)
        again_small = best_of(worker, key, small, small_cap)
        if again_lower is not None and again_small is not None:
            g.lower_ratio = min(g.lower_ratio, again_small / max(again_lower, 1e-9))
        if g.lower_ratio >= LIMIT:
            g.linear = False
            g.skipped = f"not run: {g.lower_label} grew >= {LIMIT:g}x twice, and growth only rises"
            return g
    cap = min(max(limit * g.small_s, FLOOR_S), max_wait)
    times: list[float] = []
    kills = 0
    while len(times) < REPEATS:
        t = worker.time(key, large, cap)
        if t is None:
            kills += 1
            if times or kills >= 2 or cap > RETRY_CAP_S:
                break  # a kill after a finished run is noise; a long or second kill decides
            continue  # one retry: a burst of load on a shared machine is not a verdict
        times.append(t)
        if t >= LONG_RUN_S or (eager and t < limit * g.small_s):
            # Noise only ever adds time, so more runs can only lower the growth: once one run
            # is under the limit the verdict is linear (the bench still takes the best of 3).
            break
    if times:
        g.large_s = min(times)
        g.ratio = g.large_s / max(g.small_s, 1e-9)
        g.linear = g.ratio < limit
        return g
    g.linear, g.killed = False, (large, cap)
    g.bound = cap / g.small_s
    return g


# -- screening and the checks -----------------------------------------------------------------
@dataclass
class Screened:
    key: str
    attack: Attack
    t_small: float | None  # None: killed (a catastrophic rule)
    t_big: float | None

    @property
    def score(self) -> float:
        if self.t_small is None or self.t_big is None:
            return math.inf
        if self.t_big < 50e-6:  # too quick to tell growth from noise
            return min(self.t_big / max(self.t_small, 1e-9), SCREEN[1] / SCREEN[0])
        return self.t_big / max(self.t_small, 1e-9)


@dataclass
class RuleResult:
    rule: Rule
    screened: list[Screened]
    measured: list[Growth]

    @property
    def worst(self) -> Growth:
        def badness(g: Growth) -> tuple[bool, float]:
            exponent = g.exponent
            return (not g.linear, math.inf if exponent is None else exponent)

        return max(self.measured, key=badness)

    @property
    def linear(self) -> bool:
        return all(g.linear for g in self.measured)

    def explain(self) -> str:
        lines = [g.explain() for g in self.measured]
        lines.append(f"({len(self.screened)} adversarial inputs screened at 1 and 10 KB)")
        return "\n".join(lines)


def job_key(rule: Rule, attack: Attack) -> str:
    return f"rule|{rule.name}|{attack.spec!r}"


def register_rule(registry: dict[str, Job], rule: Rule) -> list[tuple[str, Attack]]:
    """Register a job per adversarial input of ``rule``; returns (key, attack) pairs."""
    out = []
    for attack in attacks(rule.pattern):
        key = job_key(rule, attack)
        registry[key] = regex_job(rule, attack)
        out.append((key, attack))
    return out


def screen(worker: Worker, jobs: Sequence[tuple[str, Attack]], guard: float) -> list[Screened]:
    out = []
    for key, attack in jobs:
        # screening only ranks the inputs: a run of 5 ms is not repeated
        t_small = best_of(worker, key, SCREEN[0], guard, long_run=0.005)
        t_big = best_of(worker, key, SCREEN[1], guard, long_run=0.005) if t_small else None
        out.append(Screened(key, attack, t_small, t_big))
        if t_small is None or t_big is None:
            break  # catastrophic: nothing worse to look for
    return out


def check_rule(
    worker: Worker,
    rule: Rule,
    jobs: Sequence[tuple[str, Attack]],
    *,
    first_failure: bool = True,
    guard: float = GUARD_S,
    max_wait: float = MAX_WAIT_S,
    eager: bool = True,
) -> RuleResult:
    """Screen every adversarial input at 1 and 10 KB, then time the worst two (largest growth,
    largest time) at 10 KB, 100 KB and 1 MB."""
    screened = screen(worker, jobs, guard)
    result = RuleResult(rule, screened, [])
    killed = [s for s in screened if s.t_small is None or s.t_big is None]
    if killed:
        s = killed[0]
        size = SCREEN[0] if s.t_small is None else SCREEN[1]
        g = Growth(rule.name, s.attack.label, linear=False, killed=(size, guard))
        g.skipped = f"{_size(size)} did not finish in {guard:g} s while screening"
        result.measured.append(g)
        return result
    chosen: list[Screened] = []
    for pick in (
        max(screened, key=lambda s: s.score),
        max(screened, key=lambda s: s.t_big or 0.0),
    ):
        if pick not in chosen:
            chosen.append(pick)
    for s in chosen:
        g = growth(
            worker, s.key, rule.name, s.attack.label, guard=guard, max_wait=max_wait, eager=eager
        )
        result.measured.append(g)
        if first_failure and not g.linear:
            break
    return result


@dataclass(frozen=True)
class EntryCase:
    entry: str
    attack: Attack

    @property
    def key(self) -> str:
        return f"entry|{self.entry}|{self.attack.spec!r}"


def register_entries(registry: dict[str, Job], workdir: Path) -> list[EntryCase]:
    """Register a job per entry point and adversarial text; returns the cases."""
    cases = []
    for entry, (prepare, run) in entry_points(workdir).items():
        for attack in entry_inputs():
            if entry == "learn_text" and not any(c in attack.label for c in ":="):
                continue  # it only reads key: value / key=value pairs
            case = EntryCase(entry, attack)
            registry[case.key] = Job(attack.spec, prepare, run)
            cases.append(case)
    return cases


#: The texts the 2 MB audit is timed on: the report's case, and many findings on one line.
AUDIT_2MB_INPUTS = ("'A'*n/2+'@'+'A'*n/2", "base64 words of 42 chars")


# -- the bench --------------------------------------------------------------------------------
def run(
    *,
    workdir: Path,
    budget: Any = None,
    only: Sequence[str] = ("rules", "entries"),
    guard: float = 5.0,
    max_wait: float = 30.0,
) -> list[Any]:
    """Time every rule and entry point; print the tables; return the suite's figures."""
    from bench.common import BudgetExceeded, Figure, print_table

    def check_budget() -> None:
        if budget is not None and budget.remaining() <= 1.0:
            raise BudgetExceeded(f"time budget of {budget.seconds:.0f} s used up")

    def figure(name: str, g: Growth) -> Any:
        measured = f"1 MB {g.time_text(g.large)}, {g.ratio_text()} of 100 KB ({g.input})"
        target = f"< {g.limit:g}x"
        return Figure("regex", f"{name}: growth 100 KB→1 MB", target, measured, g.linear, g.ratio)

    registry: dict[str, Job] = {}
    discovery = discover([("redact.Redactor()", make_redactor())])
    rule_jobs = {rule.name: register_rule(registry, rule) for rule in discovery.rules}
    cases = register_entries(registry, workdir) if "entries" in only else []
    worker = Worker(registry)
    figures: list[Any] = []
    started = time.monotonic()
    try:
        if "rules" in only:
            rows = []
            for rule in discovery.rules:
                check_budget()
                result = check_rule(
                    worker,
                    rule,
                    rule_jobs[rule.name],
                    first_failure=False,
                    guard=guard,
                    max_wait=max_wait,
                    eager=False,
                )
                g = result.worst
                print(f"  {g.explain()}", file=sys.stderr, flush=True)
                rows.append(
                    [rule.name, "+".join(rule.ops), g.input, g.time_text(g.small),
                     g.time_text(g.large), g.ratio_text(), g.verdict]
                )  # fmt: skip
                figures.append(figure(rule.name, g))
            print_table(
                ["rule", "timed", "worst input", "100 KB", "1 MB", "growth", "verdict"],
                rows,
                title=f"regex rules ({len(rows)} found, {time.monotonic() - started:.0f} s)",
            )
        if cases:
            rows, huge_rows = [], []
            for case in cases:
                check_budget()
                g = growth(
                    worker, case.key, case.entry, case.attack.label, guard=guard,
                    max_wait=max_wait, eager=False,
                )  # fmt: skip
                print(f"  {g.explain()}", file=sys.stderr, flush=True)
                rows.append(
                    [case.entry, g.input, g.time_text(g.small), g.time_text(g.large),
                     g.ratio_text(), g.verdict]
                )  # fmt: skip
                figures.append(figure(f"{case.entry}: {case.attack.label}", g))
                if case.entry == "audit" and case.attack.label in AUDIT_2MB_INPUTS:
                    d = growth(
                        worker, case.key, case.entry, case.attack.label, small=LARGE,
                        large=HUGE, limit=HUGE_LIMIT, guard=max_wait, max_wait=max_wait,
                    )  # fmt: skip
                    print(f"  {d.explain()}", file=sys.stderr, flush=True)
                    huge_rows.append(
                        [g.input, d.time_text(d.small), d.time_text(d.large), d.ratio_text(),
                         "linear" if d.linear else d.verdict]
                    )  # fmt: skip
            print_table(
                ["entry point", "input", "100 KB", "1 MB", "growth", "verdict"],
                rows,
                title="entry points (a fresh Redactor(b'k'*32) with 3 secrets and 3 ids a run)",
            )
            if huge_rows:
                print_table(
                    ["input", "1 MB", "2 MB", "growth", "verdict"],
                    huge_rows,
                    title=f"audit of a one-line file, 1 MB -> 2 MB (linear ~2x, limit "
                    f"{HUGE_LIMIT:g}x)",
                )
    finally:
        worker.stop()
    print(
        "\ngrowth: 1 MB / 100 KB time, best of 3 each (one run when it takes "
        f"{LONG_RUN_S:g} s or more); linear ~10x, quadratic ~100x, limit {LIMIT:g}x. "
        "'> Nx': the 1 MB run was killed once it had taken that many times the 100 KB time; "
        "'?': the 100 KB run was killed, or the 1 MB run not needed (the growth one decade "
        "down, shown instead, had passed the limit twice)."
    )
    for name, error in discovery.import_errors.items():
        print(f"note: not imported, its rules not timed: {name} ({error})")
    if discovery.inline_calls:
        print("note: re.<function>(literal) calls, not timed: " + ", ".join(discovery.inline_calls))
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/regex_linear.py",
        description="Time every regex rule and the redact/scan entry points at 100 KB and 1 MB.",
    )
    p.add_argument("--only", action="append", choices=("rules", "entries"))
    p.add_argument("--src", type=Path, default=None, help="time the package under this directory")
    p.add_argument("--guard", type=float, default=5.0, help="longest 100 KB run waited for (5 s)")
    p.add_argument(
        "--max-wait", type=float, default=30.0, help="longest 1 MB run waited for (30 s)"
    )
    args = p.parse_args(argv)
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    if args.src is not None:
        sys.path.insert(0, str(args.src.resolve()))
    import jainam_validate

    print(f"jainam_validate from {Path(jainam_validate.__file__).resolve().parent}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="jv-linear-"))
    try:
        figures = run(
            workdir=workdir,
            only=args.only or ("rules", "entries"),
            guard=args.guard,
            max_wait=args.max_wait,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    missed = [f for f in figures if f.met is False]
    print(f"\n{len(missed)} of {len(figures)} not linear")
    return 0


if __name__ == "__main__":
    sys.exit(main())
