#!/usr/bin/python3
"""Unit tests of scripts/tfjs_to_onnx.py on small hand-written TF.js graphs
(the whole NanoDet conversion is checked by detect_objects_test, which runs
the converted model on photos)."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tfjs_to_onnx  # noqa: E402

NHWC = base64.b64encode(b"NHWC").decode()
VALID = base64.b64encode(b"VALID").decode()


def write_model(folder, nodes, weights):
    """model.json + one .bin: weights is [(name, array)], float32 ones stored as float16."""
    manifest, blob = [], b""
    for name, value in weights:
        if value.dtype == np.float32:
            blob += value.astype(np.float16).tobytes()
            manifest.append({"name": name, "shape": list(value.shape), "dtype": "float32",
                             "quantization": {"dtype": "float16", "original_dtype": "float32"}})
        else:
            blob += value.astype(np.int32).tobytes()
            manifest.append({"name": name, "shape": list(value.shape), "dtype": "int32"})
    with open(os.path.join(folder, "w.bin"), "wb") as f:
        f.write(blob)
    path = os.path.join(folder, "model.json")
    with open(path, "w") as f:
        json.dump({"format": "graph-model", "modelTopology": {"node": nodes},
                   "weightsManifest": [{"paths": ["w.bin"], "weights": manifest}]}, f)
    return path


def conv_graph(op="Conv2D"):
    """NCHW input -> to NHWC -> 1x2 convolution -> bias -> back to NCHW, as onnx-tf writes it."""
    nodes = [
        {"name": "input_1", "op": "Placeholder",
         "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "3"}, {"size": "4"}, {"size": "4"}]}}}},
        {"name": "to_nhwc/perm", "op": "Const"},
        {"name": "to_nchw/perm", "op": "Const"},
        {"name": "filter", "op": "Const"},
        {"name": "bias", "op": "Const"},
        {"name": "to_nhwc", "op": "Transpose", "input": ["input_1", "to_nhwc/perm"]},
        {"name": "conv", "op": op, "input": ["to_nhwc", "filter"],
         "attr": {"data_format": {"s": NHWC}, "padding": {"s": VALID},
                  "strides": {"list": {"i": ["1", "1", "1", "1"]}}}},
        {"name": "biased", "op": "Add", "input": ["conv", "bias"]},
        {"name": "to_nchw", "op": "Transpose", "input": ["biased", "to_nchw/perm"]},
        {"name": "Identity", "op": "Identity", "input": ["to_nchw"]},
    ]
    filters = np.arange(12, dtype=np.float32).reshape(1, 2, 3, 2)  # HWIO
    weights = [("to_nhwc/perm", np.array([0, 2, 3, 1], np.int32)), ("to_nchw/perm", np.array([0, 3, 1, 2], np.int32)),
               ("filter", filters), ("bias", np.array([0.5, -1.0], np.float32))]
    return nodes, weights, filters


class ConverterTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def convert(self, nodes, weights):
        converter = tfjs_to_onnx.Converter(write_model(self.dir.name, nodes, weights))
        converter.convert()
        return converter.build({"Identity": ("out", [1, 2, 4, 3])})

    def test_layout_transposes_cancel_and_bias_folds_into_the_convolution(self):
        nodes, weights, filters = conv_graph()
        model = self.convert(nodes, weights)
        ops = [n.op_type for n in model.graph.node]
        self.assertEqual(ops, ["Conv", "Identity"])
        conv = model.graph.node[0]
        self.assertEqual(conv.input[0], "input_1")
        values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        np.testing.assert_array_equal(values[conv.input[1]], filters.transpose(3, 2, 0, 1))  # OIHW
        np.testing.assert_array_equal(values[conv.input[2]], [0.5, -1.0])

    def test_an_unknown_op_is_an_error_naming_the_node(self):
        nodes, weights, _ = conv_graph(op="Erf")
        with self.assertRaisesRegex(tfjs_to_onnx.ConvertError, "node conv: op Erf not supported"):
            self.convert(nodes, weights)

    def test_weights_shorter_than_the_manifest_are_an_error(self):
        nodes, weights, _ = conv_graph()
        path = write_model(self.dir.name, nodes, weights)
        with open(os.path.join(self.dir.name, "w.bin"), "r+b") as f:
            f.truncate(10)
        out = subprocess.run([sys.executable, os.path.join(HERE, "tfjs_to_onnx.py"), path,
                              os.path.join(self.dir.name, "out.onnx")], capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(path, out.stderr)
        self.assertIn("past the end", out.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir.name, "out.onnx")))


if __name__ == "__main__":
    unittest.main()
