// The encoder, the compiler's last stage: the IR (ir.ts) written as an ONNX model file (protobuf),
// enough for the graphs the step compiler emits: nodes with int, float, ints, string and tensor
// attributes, float32/int32/int64/bool initializers, and inputs and outputs with static or symbolic
// shapes. Field numbers follow onnx/onnx.proto (IR version 8).

import { ONNX_TYPES, OPSET, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './ir';

class Writer {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(bytes));
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, write: (writer: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function writeTensor(writer: Writer, tensor: OnnxTensor): void {
  for (const size of tensor.shape) writer.int(1, size);
  writer.int(2, ONNX_TYPES[tensor.type]);
  writer.string(8, tensor.name);
  // raw_data is little-endian, as typed arrays are on every platform onnxruntime-node supports.
  const { buffer, byteOffset, byteLength } = tensor.values;
  writer.bytes(9, new Uint8Array(buffer, byteOffset, byteLength));
}

function writeValueInfo(writer: Writer, info: OnnxValueInfo): void {
  writer.string(1, info.name);
  writer.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.int(1, ONNX_TYPES[info.type]);
      tensorType.message(2, (shape) => {
        info.shape.forEach((size, index) => {
          const symbol = info.dimParams?.[index];
          shape.message(1, (dim) => (symbol === undefined ? dim.int(1, size) : dim.string(2, symbol)));
        });
      });
    }),
  );
}

// AttributeProto.AttributeType
const ATTRIBUTE_TYPES = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;

function writeAttribute(writer: Writer, name: string, attribute: OnnxAttribute): void {
  writer.string(1, name);
  if ('int' in attribute) {
    writer.int(3, attribute.int);
    writer.int(20, ATTRIBUTE_TYPES.int);
  } else if ('float' in attribute) {
    writer.float(2, attribute.float);
    writer.int(20, ATTRIBUTE_TYPES.float);
  } else if ('ints' in attribute) {
    for (const value of attribute.ints) writer.int(8, value);
    writer.int(20, ATTRIBUTE_TYPES.ints);
  } else if ('string' in attribute) {
    writer.string(4, attribute.string);
    writer.int(20, ATTRIBUTE_TYPES.string);
  } else {
    writer.message(5, (tensor) => writeTensor(tensor, attribute.tensor));
    writer.int(20, ATTRIBUTE_TYPES.tensor);
  }
}

function writeNode(writer: Writer, node: OnnxNode, index: number): void {
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  writer.string(3, `${node.opType}_${index}`);
  writer.string(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {}))
    writer.message(5, (inner) => writeAttribute(inner, name, attribute));
  if (node.domain !== undefined) writer.string(7, node.domain);
}

/** Serialises a graph as an ONNX ModelProto (IR version 8, the graph's opset, else {@link OPSET}). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const model = new Writer();
  model.int(1, 8); // ir_version
  model.string(2, 'sdae'); // producer_name
  model.message(7, (g) => {
    graph.nodes.forEach((node, index) => g.message(1, (inner) => writeNode(inner, node, index)));
    g.string(2, graph.name);
    for (const tensor of graph.initializers) g.message(5, (inner) => writeTensor(inner, tensor));
    for (const input of graph.inputs) g.message(11, (inner) => writeValueInfo(inner, input));
    for (const output of graph.outputs) g.message(12, (inner) => writeValueInfo(inner, output));
  });
  model.message(8, (opset) => {
    opset.string(1, '');
    opset.int(2, graph.opset ?? OPSET);
  });
  // Every other domain the nodes use (onnxruntime's own kernels) at its version 1.
  for (const domain of new Set(graph.nodes.flatMap((node) => (node.domain === undefined || node.domain === '' ? [] : [node.domain])))) {
    model.message(8, (opset) => {
      opset.string(1, domain);
      opset.int(2, 1);
    });
  }
  return model.finish();
}
