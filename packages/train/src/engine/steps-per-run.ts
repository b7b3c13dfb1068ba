/**
 * The native engine's default steps per run: onnxruntime-node copies every output of a run into a
 * new JavaScript buffer, about 1 ms per 4 MB of weights handed back, so large models run
 * {@link LARGE_MODEL_STEPS_PER_RUN} steps at once. Eight steps of the SdA's fine-tuning (2.8 M
 * weights) took 3.4-4.1 ms each, 9.8-10.9 ms one by one, and the tutorial dA's (393 k) 1.3
 * against 2.0 ms; small CNNs (10 k) gain nothing and their larger graphs ran 5-10 % slower.
 *
 * Models of more values than a core's cache holds (2 MB, half a million floats) run 16 to 32
 * steps at once: a run's first step reads the weights the last run wrote and its first and last
 * updates cannot work in place, so the SdA's steps gain again from longer runs (sixteen of its
 * fine-tuning steps took 4.3 ms each against 4.8 for eight and 4.0 for 32; its first dA layer's
 * 2.15 against 2.36 and 2.05; raced with the state fed back as the engine does). Of those sizes
 * the largest that divides the epoch's `stepsPerEpoch` is taken, so that no step of a full epoch
 * runs alone at its end (a lone step runs a graph of one step, about twice a step's time): the
 * whole epoch where it has at most 32 steps, else 16 where no size from 17 to 32 divides it. The tutorial dA's (1.5 MB of weights) gained under 5 % and would compile a
 * graph twice as large before its first step.
 *
 * @example defaultStepsPerRun(2_797_010, 2500); // 25: the SdA's fine-tuning on MNIST at batch 20
 */
export function defaultStepsPerRun(stateValues: number, stepsPerEpoch?: number): number {
  if (stateValues < LARGE_MODEL_VALUES) return 1;
  if (stateValues < HUGE_MODEL_VALUES) return LARGE_MODEL_STEPS_PER_RUN;
  if (stepsPerEpoch === undefined || stepsPerEpoch < 1) return HUGE_MODEL_STEPS_PER_RUN;
  if (stepsPerEpoch <= HUGE_MODEL_MOST_STEPS) return stepsPerEpoch;
  for (let steps = HUGE_MODEL_MOST_STEPS; steps > HUGE_MODEL_STEPS_PER_RUN; steps--) if (stepsPerEpoch % steps === 0) return steps;
  return HUGE_MODEL_STEPS_PER_RUN;
}

const LARGE_MODEL_VALUES = 100_000;
const LARGE_MODEL_STEPS_PER_RUN = 8;
const HUGE_MODEL_VALUES = 500_000;
const HUGE_MODEL_STEPS_PER_RUN = 16;
const HUGE_MODEL_MOST_STEPS = 32;
