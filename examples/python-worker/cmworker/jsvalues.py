"""The Python types of codec values that have no built-in Python equivalent (see codec.py)."""

import json
import struct

TYPED_ARRAYS = {
    "Int8Array": "b",
    "Uint8Array": "B",
    "Uint8ClampedArray": "B",
    "Int16Array": "h",
    "Uint16Array": "H",
    "Int32Array": "i",
    "Uint32Array": "I",
    "Float32Array": "f",
    "Float64Array": "d",
    "BigInt64Array": "q",
    "BigUint64Array": "Q",
}
BINARY_KINDS = frozenset(TYPED_ARRAYS) | {"ArrayBuffer", "DataView"}


class CodecError(ValueError):
    """Malformed codec JSON, or a Python value the codec has no form for. `code` as in core."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class _Undefined:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "UNDEFINED"

    def __bool__(self):
        return False


UNDEFINED = _Undefined()


class BigInt(int):
    """A JavaScript BigInt: an int that encodes as the bigint tag (exact at any size)."""

    def __repr__(self):
        return f"BigInt({int(self)})"


class Map(dict):
    """A JavaScript Map (insertion order kept). A dict subclass, so that it is told apart from objects."""

    def __repr__(self):
        return f"Map({list(self.items())!r})"


class Binary:
    """An ArrayBuffer, DataView or typed array: its kind and its bytes (little-endian)."""

    def __init__(self, kind, data):
        if kind not in BINARY_KINDS:
            raise CodecError("CM_ERR_INVALID_ARGUMENT", f"not a binary kind: {kind!r}")
        data = bytes(data)
        size = struct.calcsize(TYPED_ARRAYS.get(kind, "B"))
        if len(data) % size != 0:
            raise CodecError("CM_ERR_MALFORMED", f"{kind} byte length must be a multiple of {size}")
        self.kind = kind
        self.data = data

    @classmethod
    def of(cls, kind, items):
        """A typed array from its numbers: Binary.of("Float64Array", [1.5, 2])."""
        fmt = TYPED_ARRAYS[kind]
        return cls(kind, struct.pack(f"<{len(items)}{fmt}", *items))

    def items(self):
        fmt = TYPED_ARRAYS.get(self.kind, "B")
        return list(struct.unpack(f"<{len(self.data) // struct.calcsize(fmt)}{fmt}", self.data))

    def __eq__(self, other):
        return isinstance(other, Binary) and (self.kind, self.data) == (other.kind, other.data)

    def __hash__(self):
        return hash((self.kind, self.data))

    def __repr__(self):
        return f"Binary({self.kind!r}, {self.data!r})"


class Tagged:
    """A tagged value this module does not turn into a Python type: the tag and its other fields."""

    def __init__(self, tag, fields):
        self.tag = tag
        self.fields = dict(fields)

    def __eq__(self, other):
        return isinstance(other, Tagged) and (self.tag, self.fields) == (other.tag, other.fields)

    def __hash__(self):
        return hash((self.tag, json.dumps(self.fields, sort_keys=True)))

    def __repr__(self):
        return f"Tagged({self.tag!r}, {self.fields!r})"


class JSError(Exception):
    """A JavaScript Error: name, message, and the optional code, cause (UNDEFINED: none) and stack."""

    def __init__(self, name, message, code=None, cause=UNDEFINED, stack=None, has_cause=None):
        super().__init__(message)
        self.name = name
        self.message = message
        self.code = code
        self.cause = cause
        self.has_cause = cause is not UNDEFINED if has_cause is None else has_cause
        self.stack = stack

    def __eq__(self, other):
        # Equal when the codec cannot tell them apart (the stack aside), as hashing does.
        if not isinstance(other, JSError):
            return NotImplemented
        mine = (self.name, self.message, self.code, self.has_cause, self.cause)
        return mine == (other.name, other.message, other.code, other.has_cause, other.cause)

    __hash__ = Exception.__hash__

    def __repr__(self):
        return f"JSError({self.name!r}, {self.message!r})"
