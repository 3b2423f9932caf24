"""HubSpot's own request types, read from the official ``hubspot-api-client`` package.

Every generated API module of the package names, per operation, its method and path
template, its query parameters (and which are exploded arrays, ``collection_formats
"multi"``), its form fields and the model of its JSON body; every model gives each
field's JSON name and type (``openapi_types`` / ``attribute_map``) and checks its enum
values in its setters. :func:`violations` checks a request the fake recorded against
that: an operation must exist for the method and path, every query parameter must be
declared (an exploded one sent as repeated parameters, never comma-joined), every form
field declared, and the JSON body must hold only the model's fields with the model's
types (an int64 is a JSON integer, a datetime an ISO 8601 string) and allowed values.

Two things the package does not cover are declared here, each from HubSpot's published
documentation: the campaigns API (the package has no campaigns client) and blog
settings, and the CMS list filters ``property__operator`` HubSpot documents for blog
posts and tags (the generated clients list only the standard parameters).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from .fake_hubspot import Call

#: The requirement the contract test needs (the root ``test`` extra carries it).
REQUIREMENT = "hubspot-api-client>=12,<13"

#: CMS list filters documented for ``GET /cms/v3/blogs/posts`` (developers.hubspot.com,
#: CMS API | Blog Posts, "Filtering": property / supported operators).
POST_FILTERS = {
    "id": ("eq", "in"),
    "slug": ("eq", "in", "nin", "icontains"),
    "campaign": ("eq", "in"),
    "state": ("eq", "ne", "in", "nin", "contains"),
    "name": ("eq", "in", "icontains"),
    "blogAuthorId": ("eq", "in"),
    "contentGroupId": ("eq", "in"),
    "tagId": ("eq", "in"),
}
#: ... and for ``GET /cms/v3/blogs/tags`` (CMS API | Blog Tags, "Filtering").
TAG_FILTERS = {"id": ("eq", "in"), "name": ("eq", "contains"), "slug": ("eq",)}


@dataclass
class Operation:
    """One operation: where it lives and what a request to it may carry."""

    method: str
    template: str
    source: str
    query: set[str] = field(default_factory=set)
    multi: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)
    body: Any = None  # a generated model class, or a {json name: type} dict
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        template = re.escape(self.template.rstrip("/"))
        self.pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", template))

    @property
    def specificity(self) -> tuple[int, int]:
        return (self.template.count("{"), -len(self.template))


def installed() -> bool:
    try:
        importlib.import_module("hubspot")
    except ImportError:
        return False
    return True


_CALL = re.compile(r'call_api\(\s*"([^"]+)",\s*"([A-Z]+)"')
_QUERY = re.compile(r'query_params\.append\(\("([^"]+)"')
_MULTI = re.compile(r'collection_formats\["(\w+)"\] = "multi"')
_FORM = re.compile(r'form_params\.append\(\("([^"]+)"')
_FILES = re.compile(r'local_var_files\["([^"]+)"\]')
_BODY = re.compile(r'body_params = local_var_params\["(\w+)"\]')


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the package's generated API modules, plus :func:`documented`."""
    import hubspot

    found: list[Operation] = []
    for info in pkgutil.walk_packages(hubspot.__path__, "hubspot."):
        if ".api." not in info.name or not info.name.endswith("_api"):
            continue
        module = importlib.import_module(info.name)
        source = Path(str(module.__file__)).read_text()
        models = importlib.import_module(info.name.rsplit(".api.", 1)[0] + ".models")
        for chunk in re.split(r"\n    def ", source):
            call = _CALL.search(chunk)
            if call is None:
                continue
            operation = Operation(
                method=call.group(2),
                template=call.group(1),
                source=f"{info.name}.{chunk.split('(', 1)[0]}",
                query=set(_QUERY.findall(chunk)),
                multi=set(_MULTI.findall(chunk)),
                form=set(_FORM.findall(chunk)) | set(_FILES.findall(chunk)),
            )
            body = _BODY.search(chunk)
            if body is not None:
                declared = re.search(rf":type {body.group(1)}: (\w+)", chunk)
                operation.body = getattr(models, declared.group(1), None) if declared else None
            found.append(operation)
    return (*found, *documented())


def documented() -> list[Operation]:
    """What the package lacks, from HubSpot's published docs (developers.hubspot.com):
    Marketing Campaigns v3 (campaigns, budget items, assets) and blog settings."""
    campaigns = "/marketing/v3/campaigns"
    budget = {"amount": "float", "name": "str", "order": "int", "description": "str"}
    properties = {"properties": "dict[str, str]"}
    docs = "docs: marketing/campaigns"
    return [
        Operation("GET", campaigns, docs, {"name", "sort", "after", "limit", "properties"}, {"properties"}),
        Operation("POST", campaigns, docs, body=properties),
        Operation(
            "GET",
            f"{campaigns}/{{campaignGuid}}",
            docs,
            {"properties", "startDate", "endDate"},
            {"properties"},
        ),
        Operation("PATCH", f"{campaigns}/{{campaignGuid}}", docs, body=properties),
        Operation("GET", f"{campaigns}/{{campaignGuid}}/budget/totals", docs),
        Operation("POST", f"{campaigns}/{{campaignGuid}}/budget", docs, body=budget),
        Operation("PUT", f"{campaigns}/{{campaignGuid}}/budget/{{budgetId}}", docs, body=budget),
        Operation("DELETE", f"{campaigns}/{{campaignGuid}}/budget/{{budgetId}}", docs),
        Operation("GET", f"{campaigns}/{{campaignGuid}}/assets/{{assetType}}", docs, {"after", "limit"}),
        Operation("PUT", f"{campaigns}/{{campaignGuid}}/assets/{{assetType}}/{{assetId}}", docs),
        Operation("GET", "/cms/v3/blog-settings/settings/{blogId}", "docs: cms/blogs/blog-settings"),
    ]


def _filters(path: str) -> set[str]:
    table = {"/cms/v3/blogs/posts": POST_FILTERS, "/cms/v3/blogs/tags": TAG_FILTERS}.get(path.rstrip("/"), {})
    names = set(table)
    for prop, operators in table.items():
        names |= {f"{prop}__{operator}" for operator in operators}
    return names


def violations(call: Call) -> list[str]:
    """What in ``call`` HubSpot's types do not allow (empty when it conforms)."""
    path = call.path.rstrip("/") or "/"
    candidates = [op for op in operations() if op.method == call.method and op.pattern.fullmatch(path)]
    if not candidates:
        return [f"{call.method} {call.path}: no such operation in hubspot-api-client (nor documented here)"]
    best: list[str] | None = None
    for operation in sorted(candidates, key=lambda op: op.specificity):
        problems = _check(call, operation)
        if not problems:
            return []
        best = best if best is not None else problems
    return best or []


def _check(call: Call, operation: Operation) -> list[str]:
    where = f"{call.method} {call.path} ({operation.source})"
    problems: list[str] = []
    allowed = operation.query | _filters(call.path)
    names = [name for name, _ in call.query_items]
    for name in dict.fromkeys(names):
        if name not in allowed:
            problems.append(f"{where}: query parameter {name!r} is not declared")
        elif names.count(name) > 1 and name not in operation.multi:
            problems.append(f"{where}: query parameter {name!r} repeated but not an array")
    for name in operation.multi:
        for key, value in call.query_items:
            if key == name and "," in value:
                problems.append(
                    f"{where}: {name!r} is an exploded array: send {name}=a&{name}=b, not {value!r}"
                )
    for name in [*call.form, *call.files]:
        if name not in operation.form:
            problems.append(f"{where}: form field {name!r} is not declared")
    if call.json is not None:
        if operation.body is None:
            problems.append(f"{where}: sends a JSON body the operation does not take")
        else:
            problems += [f"{where}: body{p}" for p in _value(call.json, operation.body, "", None)]
    return problems


def _model_fields(model: Any) -> dict[str, tuple[str, str | None]]:
    """``{json name: (type, python attribute)}`` of a model class or a declared dict."""
    if isinstance(model, dict):
        return {name: (kind, None) for name, kind in model.items()}
    return {model.attribute_map[attr]: (kind, attr) for attr, kind in model.openapi_types.items()}


def _value(value: Any, kind: Any, at: str, models: Any) -> list[str]:
    """Problems of JSON ``value`` against the package's type ``kind`` (model names are
    looked up in the ``models`` module of the model that uses them)."""
    if not isinstance(kind, str):
        return _object(value, kind, at)
    if value is None or kind == "object":
        return []
    if kind.startswith("list["):
        if not isinstance(value, list):
            return [f"{at}: expected a list, got {type(value).__name__} {value!r}"]
        return [p for i, item in enumerate(value) for p in _value(item, kind[5:-1], f"{at}[{i}]", models)]
    if kind.startswith("dict["):
        if not isinstance(value, dict):
            return [f"{at}: expected an object, got {type(value).__name__} {value!r}"]
        inner = kind[5:-1].split(", ", 1)[1]
        return [p for k, item in value.items() for p in _value(item, inner, f"{at}.{k}", models)]
    scalar = _scalar(value, kind)
    if scalar is not None:
        return [] if scalar else [f"{at}: expected {kind}, got {type(value).__name__} {value!r}"]
    model = getattr(models, kind, None) if models is not None else None
    if model is None:
        return [f"{at}: unknown type {kind!r}"]
    return _object(value, model, at)


def _scalar(value: Any, kind: str) -> bool | None:
    """True / False for a scalar ``kind``; None when ``kind`` is a model name."""
    checks = {
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "datetime": lambda v: (
            isinstance(v, str) and _parses(datetime.fromisoformat, v.replace("Z", "+00:00"))
        ),
        "date": lambda v: isinstance(v, str) and _parses(date.fromisoformat, v),
        "file": lambda v: True,
    }
    check = checks.get(kind)
    return None if check is None else bool(check(value))


def _parses(parse: Any, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _object(value: Any, model: Any, at: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{at}: expected an object ({getattr(model, '__name__', 'object')}), got {value!r}"]
    fields = _model_fields(model)
    models = None if isinstance(model, dict) else importlib.import_module(model.__module__.rsplit(".", 1)[0])
    problems: list[str] = []
    for name, item in value.items():
        if name not in fields:
            known = _clip(", ".join(sorted(fields)))
            problems.append(
                f"{at}.{name}: unknown field of {getattr(model, '__name__', 'the body')} ({known})"
            )
            continue
        item_kind, attr = fields[name]
        found = _value(item, item_kind, f"{at}.{name}", models)
        if not found and attr is not None and isinstance(item, str | int | float | bool):
            found = _allowed(model, attr, item, f"{at}.{name}")
        problems += found
    return problems


def _allowed(model: Any, attr: str, value: Any, at: str) -> list[str]:
    """The model's own setter validation (enum values, lengths) for ``value``."""
    configuration_class = importlib.import_module(model.__module__).Configuration
    configuration = configuration_class()
    configuration.client_side_validation = True
    instance = model.__new__(model)
    instance.local_vars_configuration = configuration
    try:
        setattr(instance, attr, value)
    except ValueError as exc:
        return [f"{at}: {_clip(str(exc))}"]
    return []


def _clip(text: str, width: int = 240) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def check_calls(calls: list[Call]) -> list[str]:
    """Every violation in ``calls`` (each distinct one once)."""
    found: dict[str, None] = {}
    for call in calls:
        for problem in violations(call):
            found.setdefault(problem, None)
    return list(found)


def describe(problems: list[str]) -> str:
    return json.dumps(problems, indent=2)
