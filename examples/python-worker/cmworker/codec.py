"""The comp-manager codec's JSON form (the tree `encode` returns in @comp-manager/core), in Python.

decode(tree) -> Python value, encode(value) -> tree; parse(text) / stringify(value) for the text.

  JavaScript                  Python
  number                      int (written without fraction or exponent) or float; -0, NaN, ±Infinity: float
  BigInt                      BigInt (an int subclass; plain ints encode as numbers and must be safe integers)
  undefined, array hole       UNDEFINED
  string, boolean, null       str, bool, None
  array                       list (a tuple encodes as an array too)
  plain object                dict with str keys (one owning "__type__" is escaped as the "object" tag)
  Map                         Map (a dict subclass: keys must be hashable)
  Set                         set / frozenset (members must be hashable)
  Date                        datetime.datetime, UTC, millisecond precision (years 1-9999; others: Tagged)
  Buffer                      bytes (bytearray encodes as a Buffer too)
  typed arrays, ArrayBuffer,  Binary(kind, data): the bytes, little-endian; .items() gives the numbers
  DataView
  Error (and subclasses)      JSError (any other Exception encodes as an Error named after its class)
  RegExp, URL, registered     Tagged(tag, fields): kept as they are, re-encoded unchanged
  types, invalid Date
"""

import base64
import binascii
import datetime
import json
import math
import re

from .jsvalues import BINARY_KINDS, UNDEFINED, Binary, BigInt, CodecError, JSError, Map, Tagged

__all__ = ["UNDEFINED", "BigInt", "Binary", "CodecError", "JSError", "Map", "Tagged"]
__all__ += ["TYPE_KEY", "decode", "encode", "parse", "register_type", "stringify"]

TYPE_KEY = "__type__"
MAX_SAFE_INTEGER = 2**53 - 1
_BIGINT_TEXT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _malformed(message):
    return CodecError("CM_ERR_MALFORMED", message)


_BY_TAG = {}
_BY_CLASS = {}


def register_type(tag, cls, to_json, from_json):
    """A registered type, as core's registerClass: `{"__type__": tag, "value": encode(to_json(v))}`.

    Instances of exactly `cls` encode so; the tag decodes with `from_json(decoded value)`.
    """
    if tag in _DECODERS or tag in BINARY_KINDS or tag == "Buffer":
        raise CodecError("CM_ERR_INVALID_ARGUMENT", f"{tag!r} is a built-in tag")
    _BY_TAG[tag] = from_json
    _BY_CLASS[cls] = (tag, to_json)


# ── decode: tree → value ────────────────────────────────────────────────────────────────────────────


def decode(node):
    """The Python value of a codec JSON tree (as json.loads returns it)."""
    if node is None or isinstance(node, (bool, str, float)):
        return node
    if isinstance(node, int):
        return node if abs(node) <= MAX_SAFE_INTEGER else float(node)  # what JavaScript reads
    if isinstance(node, list):
        return [decode(item) for item in node]
    if not isinstance(node, dict):
        raise _malformed(f"not a JSON value: {type(node).__name__}")
    if TYPE_KEY not in node:
        return {key: decode(value) for key, value in node.items()}
    tag = node[TYPE_KEY]
    if not isinstance(tag, str):
        raise _malformed("__type__ must be a string")
    handler = _DECODERS.get(tag)
    if handler is not None:
        return handler(node)
    if tag in BINARY_KINDS:
        return Binary(tag, _bytes(node, tag))
    if "value" not in node:
        raise _malformed(f"{tag!r} tag needs a value")
    if tag in _BY_TAG:
        try:
            return _BY_TAG[tag](decode(node["value"]))
        except CodecError:
            raise
        except Exception as err:  # a registered decoder's refusal is malformed input, not a crash
            raise _malformed(f"cannot decode {tag!r}: {err}") from err
    return Tagged(tag, {k: v for k, v in node.items() if k != TYPE_KEY})


def _number(node):
    value = node.get("value")
    if value not in ("NaN", "Infinity", "-Infinity", "-0"):
        raise _malformed('number tag needs value "NaN", "Infinity", "-Infinity" or "-0"')
    return float(value.replace("Infinity", "inf").replace("NaN", "nan"))


def _bigint(node):
    text = node.get("value")
    if not isinstance(text, str) or not _BIGINT_TEXT.match(text):
        raise _malformed("bigint tag needs a decimal string")
    return BigInt(int(text))


def _pairs(node, field, what):
    entries = node.get(field)
    if not isinstance(entries, list):
        raise _malformed(f"{what} tag needs an {field} array")
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != 2:
            raise _malformed(f"{what} entries are [key, value] pairs")
    return entries


def _hashable(value, what):
    try:
        hash(value)
    except TypeError:
        raise CodecError("CM_ERR_UNSUPPORTED_TYPE", f"a {what} of type {type(value).__name__}") from None
    return value


def _no_merge(out, count, what):
    # Python counts 1, 1.0, True and BigInt(1) as one key; JavaScript does not. Never drop one silently.
    if len(out) != count:
        raise CodecError("CM_ERR_UNSUPPORTED_TYPE", f"{what}s that are distinct in JavaScript but equal in Python")
    return out


def _map(node):
    entries = _pairs(node, "entries", "Map")
    out = Map((_hashable(decode(k), "Map key"), decode(v)) for k, v in entries)
    return _no_merge(out, len(entries), "Map key")


def _set(node):
    values = node.get("values")
    if not isinstance(values, list):
        raise _malformed("Set tag needs a values array")
    return _no_merge({_hashable(decode(v), "Set member") for v in values}, len(values), "Set member")


def _regexp(node):
    if not isinstance(node.get("source"), str) or not re.match(r"[dgimsuvy]*\Z", str(node.get("flags"))):
        raise _malformed('RegExp tag needs a string source and flags among "dgimsuvy"')
    return Tagged("RegExp", {"source": node["source"], "flags": node["flags"]})


def _url(node):
    if not isinstance(node.get("value"), str):
        raise _malformed("URL tag needs a valid absolute URL")
    return Tagged("URL", {"value": node["value"]})


def _object(node):
    out = {}
    for key, value in _pairs(node, "entries", "object"):
        if not isinstance(key, str):
            raise _malformed("object entries are [string key, value] pairs")
        out[key] = decode(value)
    return out


def _date(node):
    text = node.get("value")
    if text is None:
        return Tagged("Date", {"value": None})  # an invalid Date
    if not isinstance(text, str):
        raise _malformed("Date tag needs an ISO string or null")
    try:
        when = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        if re.match(r"[+-]\d{6}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z", text):
            return Tagged("Date", {"value": text})  # outside datetime's years 1-9999
        raise _malformed(f"Date tag needs an ISO string or null, got {text!r}") from None
    return when.replace(tzinfo=datetime.timezone.utc)


def _error(node):
    name, message = node.get("name"), node.get("message")
    code, stack = node.get("code"), node.get("stack")
    if not isinstance(name, str) or not isinstance(message, str):
        raise _malformed("Error tag needs string name and message")
    if code is not None and not isinstance(code, str) or stack is not None and not isinstance(stack, str):
        raise _malformed("Error code and stack must be strings")
    has_cause = "cause" in node
    cause = decode(node["cause"]) if has_cause else UNDEFINED
    return JSError(name, message, code=code, cause=cause, stack=stack, has_cause=has_cause)


def _bytes(node, tag):
    text = node.get("base64")
    if not isinstance(text, str) or len(text) % 4 != 0 or not _BASE64_TEXT.match(text):
        raise _malformed(f"{tag} tag needs a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _malformed(f"{tag} tag needs a base64 string") from None


_DECODERS = {
    "undefined": lambda node: UNDEFINED,
    "number": _number,
    "bigint": _bigint,
    "Map": _map,
    "Set": _set,
    "object": _object,
    "Date": _date,
    "Error": _error,
    "Buffer": lambda node: _bytes(node, "Buffer"),
    "RegExp": _regexp,
    "URL": _url,
}


# ── encode: value → tree ────────────────────────────────────────────────────────────────────────────


def _float(x):
    if math.isnan(x):
        return {TYPE_KEY: "number", "value": "NaN"}
    if math.isinf(x):
        return {TYPE_KEY: "number", "value": "Infinity" if x > 0 else "-Infinity"}
    if x == 0 and math.copysign(1.0, x) < 0:
        return {TYPE_KEY: "number", "value": "-0"}
    return x


def _date_text(when):
    if when.tzinfo is None:
        raise CodecError("CM_ERR_UNSUPPORTED_TYPE", "a naive datetime (give it a timezone)")
    ms = (when - _EPOCH) // datetime.timedelta(milliseconds=1)
    exact = _EPOCH + datetime.timedelta(milliseconds=ms)
    return exact.strftime("%Y-%m-%dT%H:%M:%S.") + f"{exact.microsecond // 1000:03d}Z"


def _encode_error(err):
    if isinstance(err, JSError):
        node = {TYPE_KEY: "Error", "name": err.name, "message": err.message}
        if err.stack is not None:
            node["stack"] = err.stack
        if err.code is not None:
            node["code"] = err.code
        if err.has_cause:
            node["cause"] = encode(err.cause)
        return node
    node = {TYPE_KEY: "Error", "name": type(err).__name__, "message": str(err)}
    code = getattr(err, "code", None)
    if isinstance(code, str):
        node["code"] = code
    return node


def encode(value):
    """The codec JSON tree of a Python value (see the table at the top)."""
    if value is None or value is True or value is False or isinstance(value, str):
        return value
    if value is UNDEFINED:
        return {TYPE_KEY: "undefined"}
    registered = _BY_CLASS.get(type(value))
    if registered is not None:
        return {TYPE_KEY: registered[0], "value": encode(registered[1](value))}
    if isinstance(value, BigInt):
        return {TYPE_KEY: "bigint", "value": str(int(value))}
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CodecError("CM_ERR_UNSUPPORTED_TYPE", f"{value} is not a safe integer: wrap it in BigInt()")
        return int(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, Map):
        return {TYPE_KEY: "Map", "entries": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CodecError("CM_ERR_UNSUPPORTED_TYPE", "object keys must be strings (use Map)")
        if TYPE_KEY in value:
            return {TYPE_KEY: "object", "entries": [[k, encode(v)] for k, v in value.items()]}
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return {TYPE_KEY: "Set", "values": [encode(v) for v in value]}
    if isinstance(value, datetime.datetime):
        return {TYPE_KEY: "Date", "value": _date_text(value)}
    if isinstance(value, (bytes, bytearray)):
        return {TYPE_KEY: "Buffer", "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Binary):
        return {TYPE_KEY: value.kind, "base64": base64.b64encode(value.data).decode("ascii")}
    if isinstance(value, Tagged):
        return {TYPE_KEY: value.tag, **value.fields}
    if isinstance(value, BaseException):
        return _encode_error(value)
    raise CodecError("CM_ERR_UNSUPPORTED_TYPE", f"no codec form for {type(value).__name__}")


def parse(text):
    """Codec text → value (what core's `parse` does)."""
    return decode(json.loads(text, parse_constant=_no_constant))


def _no_constant(name):
    raise _malformed(f"not JSON: {name}")


def stringify(value):
    """Value → codec text (ASCII JSON: any JSON parser reads it)."""
    return json.dumps(encode(value), separators=(",", ":"), allow_nan=False)
