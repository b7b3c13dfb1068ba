/**
 * The native engine's default steps per run: onnxruntime-node copies every output of a run into a
 * new JavaScript buffer, about 1 ms per 4 MB of weights handed back, so large models run
 * {@link LARGE_MODEL_STEPS_PER_RUN} steps at once. Eight steps of the SdA's fine-tuning (2.8 M
 * weights) took 3.4-4.1 ms each, 9.8-10.9 ms one by one, and the tutorial dA's (393 k) 1.3
 * against 2.0 ms; small CNNs (10 k) gain nothing and their larger graphs ran 5-10 % slower.
 */
export function defaultStepsPerRun(stateValues: number): number {
  return stateValues >= LARGE_MODEL_VALUES ? LARGE_MODEL_STEPS_PER_RUN : 1;
}

const LARGE_MODEL_VALUES = 100_000;
const LARGE_MODEL_STEPS_PER_RUN = 8;
