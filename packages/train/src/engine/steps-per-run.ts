/**
 * The native engine's default steps per run: onnxruntime-node copies every output of a run into a
 * new JavaScript buffer, about 1 ms per 4 MB of weights handed back, so large models run
 * {@link LARGE_MODEL_STEPS_PER_RUN} steps at once, and models of more values than a core's cache
 * holds (2 MB, half a million floats) {@link HUGE_MODEL_STEPS_PER_RUN}. Eight steps of the SdA's fine-tuning (2.8 M weights) took
 * 3.4-4.1 ms each, 9.8-10.9 ms one by one, and the tutorial dA's (393 k) 1.3 against 2.0 ms; small
 * CNNs (10 k) gain nothing and their larger graphs ran 5-10 % slower. A run's first step reads the
 * weights from the buffers the last run wrote and its first and last updates cannot work in place,
 * so the SdA's steps gain again from longer runs: sixteen of its fine-tuning steps took 4.3 ms
 * each against 4.8 for eight, its first dA layer's 2.15 against 2.36 (raced, state fed back as
 * the engine does); the tutorial dA's (1.5 MB of weights) gained under 5 % and would compile a
 * graph twice as large before its first step.
 */
export function defaultStepsPerRun(stateValues: number): number {
  if (stateValues >= HUGE_MODEL_VALUES) return HUGE_MODEL_STEPS_PER_RUN;
  return stateValues >= LARGE_MODEL_VALUES ? LARGE_MODEL_STEPS_PER_RUN : 1;
}

const LARGE_MODEL_VALUES = 100_000;
const LARGE_MODEL_STEPS_PER_RUN = 8;
const HUGE_MODEL_VALUES = 500_000;
const HUGE_MODEL_STEPS_PER_RUN = 16;
