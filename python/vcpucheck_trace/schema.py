"""A validator for the part of JSON Schema that traces/trace.schema.json uses.

The trace schema is the one description of the format, shared with the C++ side (traces/); this
checks a document against it with the standard library only. Supported keywords: type, const,
enum, required, properties, additionalProperties (false), items, minimum, pattern. A keyword the
schema uses and this module does not know is an error of the tool, not a pass.
"""
import re

KNOWN = {"$schema", "$id", "title", "description", "type", "const", "enum", "required", "properties",
         "additionalProperties", "items", "minimum", "pattern"}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaError(Exception):
    """The document does not match: `path` is its JSON pointer, `reason` says how."""

    def __init__(self, path, reason):
        super().__init__(f"at {path or '/'}: {reason}")
        self.path = path or "/"
        self.reason = reason


def _kind(value):
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPES[name](value):
            return name
    return type(value).__name__


def validate(value, schema, path=""):
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError(f"the trace schema uses {sorted(unknown)}, which vcpucheck_trace.schema does not check")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            raise SchemaError(path, f"expected {' or '.join(types)}, found {_kind(value)}")
    if "const" in schema and value != schema["const"]:
        raise SchemaError(path, f"expected {schema['const']!r}, found {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(path, f"{value!r} is not one of {', '.join(map(str, schema['enum']))}")
    if "minimum" in schema and _TYPES["number"](value) and value < schema["minimum"]:
        raise SchemaError(path, f"{value} is below the minimum {schema['minimum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        raise SchemaError(path, f"{value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise SchemaError(f"{path}/{key}", f"missing field '{key}'")
        props = schema.get("properties", {})
        for key, v in value.items():
            if key in props:
                validate(v, props[key], f"{path}/{key}")
            elif schema.get("additionalProperties", True) is False:
                raise SchemaError(f"{path}/{key}", f"unknown field '{key}'")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            validate(v, schema["items"], f"{path}/{i}")
