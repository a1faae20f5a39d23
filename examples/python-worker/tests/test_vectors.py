"""Every vector of packages/core/test-vectors.json, byte for byte: canonical text, SHA-256, SHA-1/MD5 for calls."""

import hashlib
import json
import pathlib
import unittest

from cmworker.canonical import canonical, canonical_call, canonical_value, digest, hash_key
from cmworker.codec import decode

VECTORS_FILE = pathlib.Path(__file__).resolve().parents[3] / "packages" / "core" / "test-vectors.json"
VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))


class VectorsTest(unittest.TestCase):
    def test_file_is_cm1_and_has_vectors(self):
        self.assertEqual(VECTORS["format"], "cm1")
        self.assertGreaterEqual(len(VECTORS["vectors"]), 70)
        self.assertEqual({v["kind"] for v in VECTORS["vectors"]}, {"value", "call"})

    def test_every_vector_from_codec_text(self):
        for vector in VECTORS["vectors"]:
            with self.subTest(vector["name"]):
                text = canonical(json.loads(vector["input"]))
                self.assertEqual(text, vector["canonical"])
                utf8 = text.encode("utf-8")
                self.assertEqual(hashlib.sha256(utf8).hexdigest(), vector["sha256"])
                self.assertEqual(digest(text), vector["sha256"])
                if vector["kind"] == "call":
                    self.assertEqual(digest(text, "sha1"), vector["sha1"])
                    self.assertEqual(digest(text, "md5"), vector["md5"])

    def test_every_vector_through_python_values(self):
        """Decoded to Python values and encoded again, each vector keeps its canonical text.

        Map keys and Set members Python cannot hash (arrays, objects), or counts as equal (true and 1n),
        have no Python value: those vectors are listed.
        """
        unhashable = []
        for vector in VECTORS["vectors"]:
            tree = json.loads(vector["input"])
            with self.subTest(vector["name"]):
                try:
                    value = decode(tree)
                except Exception as err:  # noqa: BLE001 - recorded and checked below
                    unhashable.append((vector["name"], getattr(err, "code", None)))
                    continue
                if vector["kind"] == "call":
                    key = hash_key(value["fn"], value["args"], value.get("version"))
                    self.assertEqual(key, {"key": vector["sha256"], "algorithm": "sha256", "format": "cm1"})
                    self.assertEqual(canonical_call(value["fn"], value["args"], value.get("version")), vector["canonical"])
                    self.assertEqual(hash_key(value["fn"], value["args"], value.get("version"), "md5")["key"], vector["md5"])
                else:
                    self.assertEqual(canonical_value(value), vector["canonical"])
        self.assertEqual(
            unhashable,
            [
                ("Map with mixed keys", "CM_ERR_UNSUPPORTED_TYPE"),  # an object as a key
                ("Map with equal key texts (ordered by value text)", "CM_ERR_UNSUPPORTED_TYPE"),  # {} keys
                ("Map entries sorted by canonical key text", "CM_ERR_UNSUPPORTED_TYPE"),  # a [] key
                ("Set of mixed values", "CM_ERR_UNSUPPORTED_TYPE"),  # true and 1n are one member in Python
            ],
        )


if __name__ == "__main__":
    unittest.main()
