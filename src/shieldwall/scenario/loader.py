"""Load scenario files into :class:`~shieldwall.scenario.models.Scenario`, with errors that name
the file, the line and the field.

Scenario files are read as YAML 1.2 with ruamel.yaml's round-trip loader (never PyYAML: YAML 1.1
reads the nation code ``NO`` as ``False``). The round-trip tree keeps the line of every key and
list item, so each pydantic error ``loc`` (a tuple of keys and indices) is walked down that tree
to the deepest node that exists; cross-reference errors from ``Scenario._cross_references`` carry
their dotted path at the start of each problem instead.

The scenario's optional ``catalog:`` mapping is merged section by section over the built-in
catalog before validation: user entries add to or replace built-in ones of the same name, so
``Scenario.catalog`` is always the resolved catalog and :func:`scenario_to_yaml` writes it whole.
"""

from __future__ import annotations

import codecs
import functools
import io
import math
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from shieldwall.scenario.messages import (
    _describe,
    _did_you_mean,
    _show,
    _split_path,
    _split_problems,
    other_kind,
)
from shieldwall.scenario.models import Catalog, Scenario
from shieldwall.scenario.plaintree import (
    MAX_VALUES,
    ComplexKeyError,
    TooManyValuesError,
    UnsupportedValueError,
    bad_tagged_scalar,
    plain,
)
from shieldwall.scenario.treelines import line_of

__all__ = [
    "ScenarioError",
    "builtin_catalog",
    "builtin_scenarios",
    "load_catalog",
    "load_scenario",
    "scenario_json_schema",
    "scenario_to_yaml",
]

DATA_DIR = Path(__file__).parent / "data"
SCENARIO_DIR = DATA_DIR / "scenarios"
CATALOG_FILE = DATA_DIR / "catalog.yaml"
CATALOG_SECTIONS = ("threat_types", "sensor_types", "interceptor_types", "fighter_types")
HEADER = "# Resolved shieldwall scenario (notional figures). Valid input for `shieldwall run`.\n"
# Strings that a YAML 1.1 reader would take for booleans or null: quote them on output.
M = TypeVar("M", bound=BaseModel)
_YAML11_SPECIAL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|~|null|Null|NULL|)$"
)


class ScenarioError(Exception):
    """A scenario (or catalog) that cannot be loaded.

    ``problems``: one line each, ``'<file>:<line>: <dotted.field.path>: <message>'``; the line is
    omitted when unknown; the file is the path given, ``'<builtin:NAME>'`` or ``'<dict>'``.
    """

    def __init__(self, problems: list[str]) -> None:
        lines = [" ".join(str(p).splitlines()) for p in problems]
        self.problems: list[str] = list(dict.fromkeys(lines)) or ["scenario: unknown problem"]
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with shieldwall (``data/scenarios/*.yaml``), sorted."""
    if not SCENARIO_DIR.is_dir():
        return []
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


@functools.cache
def builtin_catalog() -> Catalog:
    """The equipment catalog shipped with shieldwall (``data/catalog.yaml``)."""
    return load_catalog(CATALOG_FILE, label="<builtin:catalog>")


def load_catalog(source: str | os.PathLike | Mapping, *, label: str | None = None) -> Catalog:
    """A catalog from a YAML file or a mapping; raises :class:`ScenarioError`."""
    name, tree = _read(source, label=label, builtin_names=None)
    return _validate(Catalog, _plain_tree(tree, name), tree, name)


def load_scenario(
    source: str | os.PathLike | Mapping, *, catalog: Catalog | None = None
) -> Scenario:
    """Load a scenario from a built-in name (``'april-2024'``), a ``.yaml``/``.yml`` path, or a
    mapping; raises :class:`ScenarioError` listing every problem found.

    ``catalog``: the base catalog the file's ``catalog:`` entries are merged over (default: the
    built-in one; tests pass their own).
    """
    name, tree = _read(source, label=None, builtin_names=builtin_scenarios())
    data = _plain_tree(tree, name)
    base = builtin_catalog() if catalog is None else catalog
    data = _merge_catalog(data, base.model_dump(by_alias=True))
    return _validate(Scenario, data, tree, name)


def scenario_to_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario (merged catalog included) as YAML 1.2 text; loading that text
    again gives an equal :class:`Scenario`."""
    data = scenario.model_dump(mode="json", by_alias=True)
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    buf = io.StringIO()
    buf.write(HEADER)
    yaml.dump(_for_dump(data), buf)
    return buf.getvalue()


def scenario_json_schema() -> dict:
    """JSON Schema (2020-12) of a scenario file, for editors and validators."""
    schema = Scenario.model_json_schema(by_alias=True)
    head = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:shieldwall:scenario",
        "title": "shieldwall scenario",
        "description": (
            "A shieldwall coalition air and missile defense scenario (notional figures). "
            "The optional 'catalog' mapping is merged over the built-in catalog, entry by entry."
        ),
    }
    return {**head, **{k: v for k, v in schema.items() if k not in head}}


# --------------------------------------------------------------------------------------------
# Reading and parsing
# --------------------------------------------------------------------------------------------


def _read(source: Any, *, label: str | None, builtin_names: list[str] | None) -> tuple[str, Any]:
    """(label for messages, round-trip tree or mapping) for any accepted source; ``builtin_names``
    is None when reading a catalog."""
    if isinstance(source, Mapping):
        return label or "<dict>", source
    if not isinstance(source, str | os.PathLike):
        raise ScenarioError(
            [
                f"<{type(source).__name__}>: expected a built-in scenario name, a path to a .yaml"
                " file or a mapping"
            ]
        )
    if isinstance(source, str) and source in (builtin_names or ()):
        path, name = SCENARIO_DIR / f"{source}.yaml", label or f"<builtin:{source}>"
    else:
        path, name = Path(os.fsdecode(source)), label or os.fsdecode(source)
    return name, _parse(_read_text(path, name, source, builtin_names), name)


def _read_text(path: Path, name: str, source: Any, builtin_names: list[str] | None) -> str:
    known = ", ".join(builtin_names or ()) or "none installed"
    if isinstance(source, str | os.PathLike) and not os.fspath(source):
        raise ScenarioError(["give a scenario name or a YAML file (got an empty argument)"])
    try:
        if path.is_dir():
            raise ScenarioError([f"{name}: is a directory; give the path of a .yaml file"])
        if path.exists() and not path.is_file():  # a pipe, device or socket: read may block
            raise ScenarioError([f"{name}: not a regular file; give a .yaml file"])
        data = path.read_bytes()
    except FileNotFoundError:
        if builtin_names is None:
            raise ScenarioError([f"{name}: no such file"]) from None
        bare = isinstance(source, str) and os.sep not in source and "/" not in source
        if bare and path.suffix.lower() not in (".yaml", ".yml"):
            msg = f"unknown scenario '{source}': neither a file nor a built-in scenario"
        else:
            msg = "no such file"
        raise ScenarioError([f"{name}: {msg}; built-in scenarios are: {known}"]) from None
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise ScenarioError([f"{name}: cannot read the file ({reason})"]) from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ScenarioError(
            [
                f"{name}:{line}: file is not UTF-8 text (byte 0x{data[e.start]:02x}); "
                "save it as UTF-8"
            ]
        ) from None


def _odd_input_problem(text: str, name: str, error: Exception) -> str:
    """The line for a plain exception of ruamel's loader: where a scalar's explicit tag does
    not fit its text (``!!int "x"``, the usual cause), else the exception itself."""
    try:
        bad = bad_tagged_scalar(YAML(typ="rt").compose(text))
    except Exception:  # the composer failed too: nothing better to say
        bad = None
    if bad is not None:
        return f"{name}:{bad.line + 1}: {bad.problem}"
    return f"{name}: could not read the YAML ({type(error).__name__}: {error})"


def _parse(text: str, name: str) -> Any:
    """The ruamel round-trip tree of ``text`` (a mapping), or ScenarioError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as e:
        raise ScenarioError([_yaml_problem(e, name)]) from None
    except YAMLError as e:
        pos = getattr(e, "position", None)
        line = f"{text[:pos].count(chr(10)) + 1}:" if isinstance(pos, int) else ""
        reason = getattr(e, "reason", None) or str(e).splitlines()[0]
        problem = f"{name}:{line} YAML error: {reason}; remove that character"
        raise ScenarioError([problem]) from None
    except RecursionError:
        raise ScenarioError([f"{name}: YAML nests too deeply"]) from None
    except Exception as e:  # ruamel raises a few plain exceptions on odd input
        raise ScenarioError([_odd_input_problem(text, name, e)]) from None
    if tree is None:
        raise ScenarioError(
            [f"{name}: file is empty; a scenario needs at least name, region, nations and raid"]
        )
    if not isinstance(tree, Mapping):
        kind = _show(_plain_tree(tree, name))
        line = getattr(getattr(tree, "lc", None), "line", 0) + 1
        raise ScenarioError(
            [f"{name}:{line}: the top level must be a mapping of 'field: value' lines, got {kind}"]
        )
    return tree


def _yaml_problem(e: MarkedYAMLError, name: str) -> str:
    mark = e.problem_mark or e.context_mark
    where = f"{name}:{mark.line + 1}:" if mark is not None else f"{name}:"
    problem = " ".join(str(e.problem or e.context or "syntax error").split())
    dup = re.match(r'found duplicate key "(.*)" with value', problem)
    if dup:
        return f"{where} duplicate key '{dup.group(1)}'; each key may appear once per mapping"
    if "another document" in problem:
        return f"{where} a scenario file holds one YAML document; remove the extra '---' line"
    context = ""
    if e.context and e.context_mark is not None and e.problem_mark is not None:
        context = f" ({e.context} on line {e.context_mark.line + 1})"
    return f"{where} YAML syntax error: {problem}{context}; check indentation, colons and quotes"


def _plain_tree(tree: Any, name: str) -> dict:
    try:
        return plain(tree)
    except RecursionError:
        raise ScenarioError([f"{name}: an alias refers to itself or nests too deeply"]) from None
    except TooManyValuesError:
        raise ScenarioError(
            [f"{name}: aliases expand to more than {MAX_VALUES:,} values; write the values out"]
        ) from None
    except ComplexKeyError as e:
        where = f"{name}:{e.line + 1}" if e.line is not None else name
        problem = f"{where}: a mapping key is a list or mapping; keys must be plain text"
        raise ScenarioError([problem]) from None
    except UnsupportedValueError as e:
        where = f"{name}:{e.line + 1}" if e.line is not None else name
        raise ScenarioError([f"{where}: {e.problem}"]) from None


def _merge_catalog(data: dict, base: dict) -> dict:
    """``data`` with its ``catalog`` merged section by section over ``base`` (plain dicts)."""
    user = data.get("catalog")
    if user is None:
        return {**data, "catalog": base}
    if not isinstance(user, dict):
        return data  # let validation report the wrong type
    merged = dict(base)
    for key, value in user.items():
        if key in CATALOG_SECTIONS and isinstance(value, dict):
            merged[key] = {**base.get(key, {}), **value}
        else:
            merged[key] = value
    return {**data, "catalog": merged}


# --------------------------------------------------------------------------------------------
# Validation and error mapping
# --------------------------------------------------------------------------------------------


def _validate(model: type[M], data: Any, tree: Any, name: str) -> M:
    if (problem := other_kind(model, data, name)) is not None:
        raise ScenarioError([problem])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False):
            problems += _problems_of(model, e, tree, name)
        raise ScenarioError(problems) from None
    except RecursionError:
        raise ScenarioError([f"{name}: the data nests too deeply"]) from None


def _problems_of(model: type[BaseModel], e: Any, tree: Any, name: str) -> list[str]:
    loc = tuple(e["loc"])
    if not loc and e["type"] == "value_error":
        # Scenario._cross_references: "path: message; path: message"
        out = []
        for part in _split_problems(str(e["ctx"]["error"])):
            path, text = _split_path(part)
            line = line_of(tree, tuple(path.split("."))) if path else line_of(tree, ())
            prefix = f"{path}: " if path else ""
            out.append(_fmt(name, line, prefix + _did_you_mean(text)))
        return out
    path, text = _describe(model, e)
    keys = tuple(p for p in loc if p != "[key]")
    return [_fmt(name, line_of(tree, keys), f"{path}: {text}")]


def _fmt(name: str, line: int | None, text: str) -> str:
    return f"{name}:{line}: {text}" if line is not None else f"{name}: {text}"


# --------------------------------------------------------------------------------------------
# Dumping
# --------------------------------------------------------------------------------------------


def _for_dump(node: Any) -> Any:
    """ruamel nodes for ``node``: key order kept, short scalar lists in flow style, and strings a
    YAML 1.1 reader would misread quoted."""
    if isinstance(node, dict):
        out = CommentedMap()
        for k, v in node.items():
            out[k] = _for_dump(v)
        return out
    if isinstance(node, list | tuple):
        seq = CommentedSeq(_for_dump(v) for v in node)
        if all(not isinstance(v, dict | list | tuple) for v in node):
            seq.fa.set_flow_style()
        return seq
    if isinstance(node, str) and _YAML11_SPECIAL.match(node):
        return SingleQuotedScalarString(node)
    if isinstance(node, float) and not math.isfinite(node):
        raise ValueError(f"cannot write a non-finite number ({node}) to a scenario file")
    return node
