// Times the steps of the training loops through their public hooks: each stage (a loop, or a
// layer of SdA pretraining) starts at its epoch-begin event (or when the loop was called) and
// each step ends at its batch-end event, which comes after the step's update and its loss read.

/**
 * A clock whose `hooks` go into a training loop's options. Stages are told apart by the events'
 * `stage` and `layer`, in the order they appear.
 */
export function createStepClock() {
  const stages = [];
  const byKey = new Map();
  let callStarted = performance.now();
  /** Steps per native call from the last engine event: it comes before its stage's first epoch. */
  let runSize;
  const keyOf = (event) => `${event.stage}/${event.layer ?? ''}`;
  const stageFor = (event, started) => {
    const key = keyOf(event);
    let stage = byKey.get(key);
    if (stage === undefined) {
      stage = { key, started, stepEnds: [], stepsPerRun: runSize };
      byKey.set(key, stage);
      stages.push(stage);
    }
    return stage;
  };
  return {
    /** Marks the start of a loop call, for loops without epoch-begin events (trainSampled). */
    start() {
      callStarted = performance.now();
    },
    hooks: {
      onEpochBegin: (event) => {
        stageFor(event, performance.now());
      },
      onBatchEnd: (event) => {
        stageFor(event, callStarted).stepEnds.push(performance.now());
      },
      onEngine: (report) => {
        runSize = report.stepsPerRun;
      },
    },
    stages,
  };
}

/**
 * The timing of one stage: `seconds` from its start to its last step (warm-up included), and
 * `msPerStep`, the steady state, over the steps after the first `warmup` ones and after the run
 * those ended in. The native engine runs a large model's steps several to a call
 * (`stepsPerRun` in its engine event) and reports a call's steps together, so the warm-up is
 * rounded up to whole calls: counting the steps reported with the last warm-up step would divide
 * the steady time by steps it does not hold (8-step calls and 3 warm-up steps made 50 steps
 * read 11 % fast).
 */
export function summarizeStage(stage, warmup) {
  const ends = stage.stepEnds;
  const steps = ends.length;
  if (steps === 0) return { steps, seconds: 0, msPerStep: Number.NaN };
  const last = ends[steps - 1];
  const runSize = stage.stepsPerRun ?? 1;
  const skipped = Math.min(Math.ceil(warmup / runSize) * runSize, steps - 1);
  const steadyStart = skipped === 0 ? stage.started : ends[skipped - 1];
  return {
    steps,
    warmupSteps: skipped,
    seconds: (last - stage.started) / 1000,
    msPerStep: (last - steadyStart) / (steps - skipped),
    firstStepMs: ends[0] - stage.started,
  };
}
