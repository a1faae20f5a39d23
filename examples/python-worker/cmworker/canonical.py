"""Canonical text and keys (format `cm1`), as packages/core/HASHING.md specifies them.

canonical(tree) works on a codec JSON tree (§9 of HASHING.md); canonical_value(value) encodes a Python
value first. hash_key(fn, args, version) is core's `hashKey({ fn, version, args })`.
"""

import hashlib
import json
import math
import re

from .codec import TYPE_KEY, CodecError, encode

ALGORITHMS = ("sha256", "sha1", "md5")
FORMAT = "cm1"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf16(text):
    """Sort key: UTF-16 code units, compared as unsigned 16-bit numbers, a proper prefix first."""
    return text.encode("utf-16-be", "surrogatepass")


def number_text(x):
    """ECMAScript Number::toString(10) of a finite binary64 value (not -0)."""
    x = float(x)
    if not math.isfinite(x):
        raise CodecError("CM_ERR_MALFORMED", "codec text never holds NaN or Infinity as a number")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr is the shortest round-trip spelling: digits d1…dk and n with value = 0.d1…dk × 10^n.
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    both = whole + fraction
    digits = both.lstrip("0")
    n = len(whole) + int(exponent or 0) - (len(both) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    exp = ("e+" if e >= 0 else "e-") + str(abs(e))
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + exp


def string_text(text):
    """JSON.stringify's spelling of a string: lone surrogates as \\udxxx, all else as ECMAScript does."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _members(pairs):
    return "{" + ",".join(string_text(k) + ":" + v for k, v in sorted(pairs, key=lambda p: _utf16(p[0]))) + "}"


def _entries(tag, rows):
    return '{"__type__":' + string_text(tag) + ',"entries":[' + ",".join(f"[{k},{v}]" for k, v in rows) + "]}"


def canonical(node):
    """The canonical text of a codec JSON tree (HASHING.md §9)."""
    if node is None:
        return "null"
    if node is True:
        return "true"
    if node is False:
        return "false"
    if isinstance(node, str):
        return string_text(node)
    if isinstance(node, (int, float)):
        return number_text(node)
    if isinstance(node, list):
        return "[" + ",".join(canonical(item) for item in node) + "]"
    if not isinstance(node, dict):
        raise CodecError("CM_ERR_MALFORMED", f"not a JSON value: {type(node).__name__}")
    tag = node.get(TYPE_KEY)
    if tag == "Map":
        rows = [(canonical(k), canonical(v)) for k, v in node["entries"]]
        return _entries("Map", sorted(rows, key=lambda r: (_utf16(r[0]), _utf16(r[1]))))
    if tag == "Set":
        values = sorted((canonical(v) for v in node["values"]), key=_utf16)
        return '{"__type__":"Set","values":[' + ",".join(values) + "]}"
    if tag == "object":
        rows = sorted(node["entries"], key=lambda e: _utf16(e[0]))
        return _entries("object", [(string_text(k), canonical(v)) for k, v in rows])
    skip = "stack" if tag == "Error" else None
    return _members((k, canonical(v)) for k, v in node.items() if k != skip)


def canonical_value(value):
    """The canonical text of a Python value (encoded by the codec module first)."""
    return canonical(encode(value))


def _call_tree(fn, args, version):
    if not isinstance(fn, str) or fn == "":
        raise CodecError("CM_ERR_INVALID_ARGUMENT", "fn must be a non-empty string")
    tree = {"args": args, "fn": fn}
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, (str, int, float)):
            raise CodecError("CM_ERR_INVALID_ARGUMENT", "version must be a string or a number")
        tree["version"] = version
    return tree


def canonical_call(fn, args, version=None):
    """The canonical text of a call; `args` is a Python value (usually a list)."""
    return canonical(_call_tree(fn, encode(args), encode(version) if version is not None else None))


def digest(text, algorithm="sha256"):
    if algorithm not in ALGORITHMS:
        raise CodecError("CM_ERR_INVALID_ARGUMENT", f"algorithm must be one of {', '.join(ALGORITHMS)}")
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


def hash_key(fn, args, version=None, algorithm="sha256"):
    """core's hashKey: {"key", "algorithm", "format"} of the call `fn(*args)` at `version`."""
    return {"key": digest(canonical_call(fn, args, version), algorithm), "algorithm": algorithm, "format": FORMAT}


def hash_value(value, algorithm="sha256"):
    """core's hashValue: the digest of the value's canonical text."""
    return digest(canonical_value(value), algorithm)
