// Hand-built IR for the passes' tests (imported by tests only: no entry of the package reaches it).
import type { OnnxNode, OnnxValueInfo } from './ir';

/** A node with one output, and its attributes when given. */
export const irNode = (opType: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): OnnxNode => ({
  opType,
  inputs,
  outputs: [output],
  ...(attributes === undefined ? {} : { attributes }),
});

/** A float32 graph input or output of `shape`. */
export const floatValue = (name: string, shape: number[]): OnnxValueInfo => ({ name, type: 'float32', shape });
