// The unrolling pass: k steps of a traced step as one graph, each step reading the state the one
// before wrote, so that one run of onnxruntime trains k steps.
import { InvalidArgumentError, requirePositiveInteger } from '@sdae/core';
import type { OnnxNode, OnnxValueInfo, StepValue, TracedStep } from './ir';
import { pruneGraph } from './prune';

/** The name of step `step`'s copy of a per-step input or output `name` in an unrolled graph. */
export const unrolledName = (name: string, step: number): string => `${name}@${step}`;

/**
 * The definition's name and the step of an unrolled graph's input or output name (see
 * {@link unrolledName}); a graph of one step keeps the plain names.
 */
export function stepOf(name: string, count: number): { base: string; step: number } {
  if (count === 1) return { base: name, step: 0 };
  const at = name.lastIndexOf('@');
  return { base: name.slice(0, at), step: Number(name.slice(at + 1)) };
}

/** The feeds of `steps` as one unrolled graph takes them: `name@k` for step k's (one step keeps the plain names). */
export function unrolledFeeds<Feed>(steps: readonly Readonly<Record<string, Feed>>[]): Record<string, Feed> {
  if (steps.length === 1) return { ...steps[0]! };
  const feeds: Record<string, Feed> = {};
  steps.forEach((step, index) => {
    for (const [name, feed] of Object.entries(step)) feeds[unrolledName(name, index)] = feed;
  });
  return feeds;
}

/**
 * The input shapes of `steps` run as one unrolled graph: the shapes every step is fed.
 *
 * @throws {InvalidArgumentError} when `steps` is empty or two steps' inputs or shapes differ.
 */
export function sharedShapes(steps: readonly Readonly<Record<string, { shape: readonly number[] }>>[]): Record<string, readonly number[]> {
  const shapesOf = (step: Readonly<Record<string, { shape: readonly number[] }>>) =>
    Object.fromEntries(Object.entries(step).map(([name, feed]) => [name, feed.shape]));
  if (steps.length === 0) throw new InvalidArgumentError('steps', steps, 'NativeStep.runSteps: steps is empty; pass one or more steps.');
  const shapes = shapesOf(steps[0]!);
  const key = JSON.stringify(shapes);
  steps.forEach((step, index) => {
    const own = JSON.stringify(shapesOf(step));
    if (own !== key)
      throw new InvalidArgumentError(
        'steps',
        own,
        `NativeStep.runSteps: step ${index} is fed ${own}, step 0 ${key}; steps run as one graph need the same inputs and shapes, ` +
          'so run steps of other shapes in a runSteps call of their own.',
      );
  });
  return shapes;
}

/**
 * `count` copies of a traced step as one graph, in order: copy k's per-step inputs and outputs
 * are named `name@k` (graph names `input:x@k`, `output:loss@k`; keys `x@k`, `loss@k`), copy k
 * reads the state copy k - 1 wrote (the first reads the state inputs) and the last one's new
 * state is the graph's. The initializers (the step's constants) are shared by every copy. Running
 * it equals running the step `count` times; `count` 1 returns `step` itself.
 *
 * @throws {InvalidArgumentError} when `count` is not a whole number >= 1.
 * @example const eight = unrollStep(traced, 8); // feeds x@0 ... x@7, returns loss@0 ... loss@7
 */
export function unrollStep(step: TracedStep, count: number): TracedStep {
  if (requirePositiveInteger('unrollStep', 'count', count) === 1) return step;
  const shared = new Set([
    ...step.graph.initializers.map((tensor) => tensor.name),
    ...[...step.stateInputs.values()].map((value) => value.graphName),
  ]);
  const stateInputByOutput = new Map(
    [...step.stateOutputs].map(([name, value]) => [value.graphName, step.stateInputs.get(name)?.graphName] as const),
  );
  const nodes: OnnxNode[] = [];
  // The value each state input names in the copy being written: the state written by the copy before.
  let state = new Map<string, string>();
  for (let index = 0; index < count; index++) {
    const last = index === count - 1;
    const rename = (name: string): string => {
      if (state.has(name)) return state.get(name)!;
      if (shared.has(name)) return name;
      if (last && stateInputByOutput.has(name)) return name;
      return unrolledName(name, index);
    };
    for (const node of step.graph.nodes) nodes.push({ ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) });
    const next = new Map<string, string>();
    for (const [output, input] of stateInputByOutput) if (input !== undefined) next.set(input, rename(output));
    state = next;
  }
  const perStep = <Value extends StepValue>(values: Map<string, Value>): Map<string, Value> =>
    new Map(
      Array.from({ length: count }, (_, index) =>
        [...values].map(
          ([name, value]) => [unrolledName(name, index), { ...value, graphName: unrolledName(value.graphName, index) }] as const,
        ),
      ).flat(),
    );
  const inputs = perStep(step.inputs);
  const outputs = perStep(step.outputs);
  const valueInfo = (value: StepValue): OnnxValueInfo => ({ name: value.graphName, type: value.dtype, shape: value.shape });
  return {
    ...step,
    // Pruned: the copies' writes of a state that no copy reads back go (only the last one's is an output).
    graph: pruneGraph({
      ...step.graph,
      nodes,
      inputs: [...inputs.values(), ...step.stateInputs.values()].map(valueInfo),
      outputs: [...outputs.values(), ...step.stateOutputs.values()].map(valueInfo),
    }),
    inputs,
    outputs,
  };
}
