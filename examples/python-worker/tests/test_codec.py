"""The codec module: Python values to codec JSON and back, and the malformed input it refuses."""

import datetime
import json
import math
import unittest

from cmworker.canonical import canonical_value, hash_key, hash_value, number_text
from cmworker.codec import (
    UNDEFINED,
    BigInt,
    Binary,
    CodecError,
    JSError,
    Map,
    Tagged,
    decode,
    encode,
    parse,
    stringify,
)

UTC = datetime.timezone.utc


class RoundTripTest(unittest.TestCase):
    def roundtrip(self, value):
        text = stringify(value)
        json.loads(text)  # plain JSON, readable by any parser
        return parse(text)

    def test_scalars(self):
        for value in [None, True, False, 0, -1, 1.5, "", "é 😀", 9007199254740991]:
            with self.subTest(value=value):
                self.assertEqual(self.roundtrip(value), value)
        self.assertIs(self.roundtrip(UNDEFINED), UNDEFINED)

    def test_special_numbers(self):
        self.assertTrue(math.isnan(self.roundtrip(float("nan"))))
        self.assertEqual(self.roundtrip(float("inf")), float("inf"))
        self.assertEqual(self.roundtrip(float("-inf")), float("-inf"))
        negative_zero = self.roundtrip(-0.0)
        self.assertEqual(math.copysign(1, negative_zero), -1)
        self.assertEqual(encode(-0.0), {"__type__": "number", "value": "-0"})

    def test_bigint_exact_at_any_size(self):
        big = BigInt(-(2**200))
        self.assertEqual(encode(big), {"__type__": "bigint", "value": str(-(2**200))})
        back = self.roundtrip(big)
        self.assertIsInstance(back, BigInt)
        self.assertEqual(back, -(2**200))

    def test_unsafe_plain_int_is_refused_not_rounded(self):
        with self.assertRaises(CodecError) as caught:
            encode(2**53)
        self.assertEqual(caught.exception.code, "CM_ERR_UNSUPPORTED_TYPE")
        self.assertEqual(decode(2**70), float(2**70))  # a JSON number past 2^53 reads as JavaScript reads it

    def test_map_set_and_nesting(self):
        value = Map([("alice", BigInt(10**30)), (1, [Map(), set()]), (BigInt(2), {"x": {1, "a"}})])
        back = self.roundtrip(value)
        self.assertIsInstance(back, Map)
        self.assertEqual(list(back.items()), list(value.items()))
        self.assertIsInstance(back[BigInt(2)]["x"], set)

    def test_date(self):
        when = datetime.datetime(2024, 2, 29, 12, 30, 45, 123999, tzinfo=UTC)
        self.assertEqual(encode(when), {"__type__": "Date", "value": "2024-02-29T12:30:45.123Z"})
        self.assertEqual(self.roundtrip(when), when.replace(microsecond=123000))
        other_zone = datetime.datetime(1970, 1, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        self.assertEqual(encode(other_zone)["value"], "1970-01-01T00:00:00.000Z")
        far = decode({"__type__": "Date", "value": "+012000-01-01T00:00:00.000Z"})
        self.assertEqual(far, Tagged("Date", {"value": "+012000-01-01T00:00:00.000Z"}))
        self.assertEqual(encode(far), {"__type__": "Date", "value": "+012000-01-01T00:00:00.000Z"})
        self.assertEqual(decode({"__type__": "Date", "value": None}), Tagged("Date", {"value": None}))

    def test_binary(self):
        self.assertEqual(encode(b"hello"), {"__type__": "Buffer", "base64": "aGVsbG8="})
        self.assertEqual(self.roundtrip(b"\x00\xff"), b"\x00\xff")
        floats = Binary.of("Float64Array", [1.0, 2.5])
        self.assertEqual(self.roundtrip(floats), floats)
        self.assertEqual(self.roundtrip(floats).items(), [1.0, 2.5])
        self.assertEqual(decode({"__type__": "Int16Array", "base64": "AID/fw=="}).items(), [-32768, 32767])
        self.assertEqual(decode({"__type__": "BigUint64Array", "base64": "//////////8="}).items(), [2**64 - 1])

    def test_escaped_object_and_proto_key(self):
        value = {"__type__": "Date", "value": "not a date"}
        self.assertEqual(encode(value)["__type__"], "object")
        self.assertEqual(self.roundtrip(value), value)
        self.assertEqual(parse('{"__proto__":{"polluted":true}}'), {"__proto__": {"polluted": True}})

    def test_errors(self):
        err = JSError("TypeError", "bad input", code="E_BAD", cause=JSError("RangeError", "root"))
        back = self.roundtrip(err)
        self.assertEqual(back, err)
        self.assertEqual(back.cause.name, "RangeError")
        self.assertFalse(self.roundtrip(JSError("Error", "x")).has_cause)
        self.assertTrue(self.roundtrip(JSError("Error", "x", cause=UNDEFINED, has_cause=True)).has_cause)
        self.assertEqual(encode(KeyError("k")), {"__type__": "Error", "name": "KeyError", "message": "'k'"})

    def test_kept_tags_reencode_unchanged(self):
        for node in [
            {"__type__": "RegExp", "source": "a+b", "flags": "gi"},
            {"__type__": "URL", "value": "https://example.com/"},
            {"__type__": "mathjs.Fraction", "value": {"n": "1", "d": "3"}},
        ]:
            with self.subTest(node["__type__"]):
                self.assertEqual(encode(decode(node)), node)

    def test_equal_in_python_distinct_in_javascript_is_refused(self):
        with self.assertRaises(CodecError):
            decode({"__type__": "Set", "values": [1, True]})
        with self.assertRaises(CodecError):
            decode({"__type__": "Map", "entries": [[1, "a"], [{"__type__": "bigint", "value": "1"}, "b"]]})
        with self.assertRaises(CodecError):
            decode({"__type__": "Map", "entries": [[[], 1]]})


class MalformedTest(unittest.TestCase):
    CASES = [
        {"__type__": 1},
        {"__type__": "bigint", "value": "01"},
        {"__type__": "bigint", "value": "0x10"},
        {"__type__": "bigint", "value": 5},
        {"__type__": "number", "value": "1"},
        {"__type__": "Date", "value": "yesterday"},
        {"__type__": "Date", "value": 0},
        {"__type__": "Map", "entries": [[1]]},
        {"__type__": "Map"},
        {"__type__": "Set", "values": {}},
        {"__type__": "object", "entries": [[1, 2]]},
        {"__type__": "Error", "name": "Error"},
        {"__type__": "Error", "name": "Error", "message": "x", "code": 1},
        {"__type__": "Uint8Array", "base64": "AQID/w="},
        {"__type__": "Uint8Array", "base64": "A$=="},
        {"__type__": "Float64Array", "base64": "AAAA"},
        {"__type__": "RegExp", "source": "x", "flags": "q"},
        {"__type__": "URL"},
        {"__type__": "some.Registered"},
    ]

    def test_malformed_trees(self):
        for node in self.CASES:
            with self.subTest(node=node):
                with self.assertRaises(CodecError) as caught:
                    decode(node)
                self.assertEqual(caught.exception.code, "CM_ERR_MALFORMED")

    def test_not_json(self):
        for text in ["NaN", "[Infinity]", "{"]:
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse(text)

    def test_unencodable_values(self):
        naive = datetime.datetime(2020, 1, 1)
        for value in [object(), naive, {1: "x"}, lambda: 1, 2**64]:
            with self.subTest(value=value), self.assertRaises(CodecError):
                encode(value)


class HashingTest(unittest.TestCase):
    def test_worked_examples_of_hashing_md(self):
        args = [Map([("alice", BigInt(10**30))]), {2, 1}, datetime.datetime(1970, 1, 1, tzinfo=UTC)]
        key = hash_key("ledger", args)
        self.assertEqual(key["key"], "95027b1e21e2136a7e182ebf5fbd868d690e55d3c2048d4a5aeb0a18df246991")
        self.assertEqual(hash_key("fib", [30])["key"], "d84949f716b02047a41efd83b6e5f69d75662b1326add6a28cba45f55c86c8ee")
        self.assertEqual(
            hash_key("fib", [30], version=1)["key"], "aa487dbe296a86fb77de4f66bb82b072ce925bed2aed6200c7fd93de8e78345e"
        )
        self.assertEqual(hash_value(-0.0), "a7a838450b62a20b79e87ed270801df25672a0e8f2139aa98690ccead16dedd8")
        err = JSError("TypeError", "bad input", code="E_BAD", cause=JSError("RangeError", "root"), stack="here")
        self.assertEqual(hash_value(err), "d2c0454fcae98e9fdcbe95ae1a1644c5d008849cae0a46c97efe4e55a4372e3d")

    def test_version_one_and_string_one_differ(self):
        self.assertNotEqual(hash_key("fib", [30], 1)["key"], hash_key("fib", [30], "1")["key"])

    def test_bad_calls(self):
        for fn, version in [("", None), (3, None), ("fib", True), ("fib", [1]), ("fib", {"v": 1})]:
            with self.subTest(fn=fn, version=version), self.assertRaises(CodecError) as caught:
                hash_key(fn, [], version)
            self.assertEqual(caught.exception.code, "CM_ERR_INVALID_ARGUMENT")
        with self.assertRaises(CodecError):
            hash_key("fib", [], algorithm="sha512")

    def test_number_spelling(self):
        cases = {1e21: "1e+21", 1e-7: "1e-7", 1e-6: "0.000001", 2.0**60: "1152921504606847000", -1.5e300: "-1.5e+300"}
        for number, text in cases.items():
            self.assertEqual(number_text(number), text)

    def test_set_order_does_not_matter(self):
        self.assertEqual(canonical_value({3, 20, "a"}), '{"__type__":"Set","values":["a",20,3]}')


if __name__ == "__main__":
    unittest.main()
