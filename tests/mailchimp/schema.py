"""Mailchimp's operations as the official ``mailchimp-marketing`` package declares them.

The package (Mailchimp's generated Python client) has no models: a request body is a
plain dict whose type it names only in a docstring (``:param Campaign2 body:``). What it
does declare, per operation, is read here from its source (parsed, never imported or
run): the HTTP method and path template, the path parameters, the query parameters with
their types (``int``, ``str``, ``bool``, ``datetime``, ``list[str]`` sent comma-joined),
a documented ``count`` maximum, which parameters are required, and whether the
operation takes a body. :func:`problems` checks one recorded request against that: an
unknown operation or query parameter, a value of the wrong type, an exploded csv list,
a missing required parameter or body, or a body sent to an operation that takes none.
Body *fields* cannot be checked from this package.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = "mailchimp_marketing"
_PARAM_DOC = re.compile(r":param (?P<type>[\w\[\], ]+) (?P<name>\w+):(?P<text>[^\n]*)")
_REQUIRED = re.compile(r"Missing the required parameter `(\w+)`")
_MAXIMUM = re.compile(r"Maximum value is (\d+)")


@dataclass(frozen=True)
class Operation:
    """One operation of the package: ``CampaignsApi.update`` is ``PATCH /campaigns/{campaign_id}``."""

    name: str
    method: str
    template: str
    path_params: tuple[str, ...]
    query: Mapping[str, str]  # name -> declared type
    csv: frozenset[str]
    required: frozenset[str]
    body: str | None  # the body's model name, None when the operation takes no body
    maxima: Mapping[str, int] = field(default_factory=dict)

    @property
    def pattern(self) -> re.Pattern[str]:
        return _pattern(self.template)

    @property
    def literal_segments(self) -> int:
        return sum(1 for part in self.template.split("/") if part and not part.startswith("{"))


@cache
def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def package_dir() -> Path | None:
    """Where ``mailchimp-marketing`` is installed (found without importing it), or None."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.List):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _operation(cls: str, function: ast.FunctionDef, lines: list[str]) -> Operation | None:
    method = template = None
    query: list[str] = []
    csv: set[str] = set()
    path_params: list[str] = []
    has_body = False
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = node.args
            constants = [a.value for a in args if isinstance(a, ast.Constant)]
            if node.func.attr == "call_api" and len(constants) >= 2:
                template, method = str(constants[0]), str(constants[1])
            receiver = node.func.value
            is_query = isinstance(receiver, ast.Name) and receiver.id == "query_params"
            if node.func.attr == "append" and is_query and args and isinstance(args[0], ast.Tuple):
                name = args[0].elts[0]
                if isinstance(name, ast.Constant):
                    query.append(str(name.value))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            if isinstance(target.value, ast.Name) and isinstance(target.slice, ast.Constant):
                key = str(target.slice.value)
                value = node.value.value if isinstance(node.value, ast.Constant) else None
                if target.value.id == "collection_formats" and value == "csv":
                    csv.add(key)
                elif target.value.id == "path_params":
                    path_params.append(key)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            assigns_none = isinstance(node.value, ast.Constant) and node.value.value is None
            has_body = has_body or (node.targets[0].id == "body_params" and not assigns_none)
    if method is None or template is None:
        return None
    text = "".join(lines[function.lineno - 1 : function.end_lineno])
    doc = ast.get_docstring(function) or ""
    declared = {m["name"]: m["type"].strip() for m in _PARAM_DOC.finditer(doc)}
    maxima = {
        m["name"]: int(found.group(1))
        for m in _PARAM_DOC.finditer(doc)
        if (found := _MAXIMUM.search(m["text"])) is not None
    }
    return Operation(
        name=f"{cls}.{function.name.removesuffix('_with_http_info')}",
        method=method.upper(),
        template=template,
        path_params=tuple(path_params),
        query={name: declared.get(name, "str") for name in query},
        csv=frozenset(csv),
        required=frozenset(_REQUIRED.findall(text)),
        body=declared.get("body", "object") if has_body else None,
        maxima=maxima,
    )


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the installed package (empty when it is not installed)."""
    root = package_dir()
    if root is None:
        return ()
    found: list[Operation] = []
    for module in sorted((root / "api").glob("*_api.py")):
        source = module.read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        for cls in ast.parse(source).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for function in cls.body:
                if isinstance(function, ast.FunctionDef) and function.name.endswith("_with_http_info"):
                    operation = _operation(cls.name, function, lines)
                    if operation is not None:
                        found.append(operation)
    return tuple(found)


def operation_for(method: str, path: str) -> Operation | None:
    """The operation ``method path`` calls (the most specific template wins)."""
    matching = [op for op in operations() if op.method == method and op.pattern.match(path)]
    return max(matching, key=lambda op: op.literal_segments, default=None)


def _type_problem(declared: str, value: str) -> str | None:
    if declared == "int":
        return None if re.fullmatch(r"-?\d+", value) else "is not an integer"
    if declared == "bool":
        return None if value in {"true", "false"} else "is not true/false"
    if declared == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "is not an ISO 8601 time"
        return None
    if declared.startswith("list["):
        items = value.split(",")
        return None if all(item.strip() for item in items) else "has an empty item in its comma-joined list"
    return None


def problems(method: str, path: str, query: Mapping[str, Iterable[str]], body: Any) -> list[str]:
    """What is wrong with one request by the package's declaration of its operation."""
    where = f"{method} {path}"
    operation = operation_for(method, path)
    if operation is None:
        return [f"{where}: no operation of {PACKAGE} has this method and path"]
    found: list[str] = []
    for name, raw in query.items():
        values = list(raw)
        declared = operation.query.get(name)
        if declared is None:
            known = ", ".join(sorted(operation.query)) or "none"
            found.append(f"{where}: query parameter {name!r} is not one of {operation.name}'s ({known})")
            continue
        if len(values) > 1:
            how = "comma-joined (csv)" if name in operation.csv else "once"
            found.append(f"{where}: {name!r} is sent {len(values)} times; {operation.name} takes it {how}")
        for value in values:
            wrong = _type_problem(declared, value)
            if wrong:
                found.append(f"{where}: {name}={value!r} {wrong} ({declared})")
            elif name in operation.maxima and int(value) > operation.maxima[name]:
                found.append(
                    f"{where}: {name}={value} is above the documented maximum {operation.maxima[name]}"
                )
    for name in operation.required - {"body", *operation.path_params}:
        if name not in query:
            found.append(f"{where}: the required query parameter {name!r} is missing")
    if operation.body is None and body is not None:
        found.append(f"{where}: {operation.name} takes no body, one was sent")
    if operation.body is not None:
        if body is None and "body" in operation.required:
            found.append(f"{where}: {operation.name} requires a body ({operation.body})")
        elif body is not None and not isinstance(body, dict):
            found.append(f"{where}: the body must be a JSON object ({operation.body})")
    return found
