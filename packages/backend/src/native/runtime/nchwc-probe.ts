// Which channel block onnxruntime's blocked (NCHWc) Conv kernels use on this machine, found by
// running them: the block depends on the CPU (16 floats with AVX-512, 8 with AVX2), and the filter
// order a step graph writes must be the kernels' own.
import { encodeOnnxModel } from '../compiler/encode-onnx';
import { GraphRecorder } from '../compiler/graph-builder';
import { blockedConv } from '../compiler/lower/nchwc-convolution';
import type { Ort } from './onnxruntime';

/** The blocks tried, in order. */
const CANDIDATE_BLOCKS = [16, 8, 4];

/**
 * A 1 x 1 convolution of `inChannels` channels into `2 block` filters in the blocked form for
 * `block`, on one pixel: `y[m] = sum_c W[m, c] x[c]`, with values that a filter order other than
 * the kernels' own gives wrong.
 */
async function blockedConvMatches(ort: Ort, block: number, inChannels: number): Promise<boolean> {
  const recorder = new GraphRecorder(
    () => undefined,
    () => new Float32Array(),
  );
  const outChannels = 2 * block;
  const shape = [outChannels, inChannels, 1, 1];
  const y = blockedConv(recorder, 'x', 'filters', shape, block, { strides: [1, 1], pads: [0, 0, 0, 0] });
  recorder.addNode({ opType: 'Identity', inputs: [y], outputs: ['y'] });
  const model = encodeOnnxModel({
    name: 'nchwc probe',
    nodes: recorder.nodes,
    initializers: recorder.initializers,
    inputs: [
      { name: 'x', type: 'float32', shape: [1, inChannels, 1, 1] },
      { name: 'filters', type: 'float32', shape },
    ],
    outputs: [{ name: 'y', type: 'float32', shape: [1, outChannels, 1, 1] }],
  });
  // Small integers (every sum exact in float32), each filter value paired with the right input only.
  const x = Float32Array.from({ length: inChannels }, (_, channel) => channel + 1);
  const filters = Float32Array.from({ length: outChannels * inChannels }, (_, index) => ((index * 37) % 101) - 50);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const result = await session.run({
      x: new ort.Tensor('float32', x, [1, inChannels, 1, 1]),
      filters: new ort.Tensor('float32', filters, shape),
    });
    const values = result.y!.data as Float32Array;
    for (let m = 0; m < outChannels; m++) {
      let expected = 0;
      for (let c = 0; c < inChannels; c++) expected += filters[m * inChannels + c]! * x[c]!;
      if (values[m] !== expected) return false;
    }
    return true;
  } finally {
    await session.release();
  }
}

let found: Promise<number | undefined> | undefined;

/**
 * The channel block of onnxruntime's blocked Conv kernels here: the first candidate whose blocked
 * convolutions (of fewer input channels than a block, and of whole blocks) give a plain
 * convolution's values; undefined where none does or the kernels do not load (a build or CPU
 * without them), and step graphs then use plain Conv. Found once per process.
 */
export function nchwcBlock(ort: Ort): Promise<number | undefined> {
  found ??= (async () => {
    for (const block of CANDIDATE_BLOCKS) {
      try {
        if ((await blockedConvMatches(ort, block, 3)) && (await blockedConvMatches(ort, block, 2 * block))) return block;
      } catch {
        // A kernel that does not load, or refuses this block's shapes: try the next, else none.
      }
    }
    return undefined;
  })();
  return found;
}
