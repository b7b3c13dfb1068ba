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
  const stageFor = (event, started) => {
    const key = `${event.stage}/${event.layer ?? ''}`;
    let stage = byKey.get(key);
    if (stage === undefined) {
      stage = { key, started, stepEnds: [] };
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
    },
    stages,
  };
}

/**
 * The timing of one stage: `seconds` from its start to its last step (warm-up included), and
 * `msPerStep`, the steady state, over the steps after the first `warmup` ones.
 */
export function summarizeStage(stage, warmup) {
  const steps = stage.stepEnds.length;
  if (steps === 0) return { steps, seconds: 0, msPerStep: Number.NaN };
  const last = stage.stepEnds[steps - 1];
  const skipped = Math.min(warmup, steps - 1);
  const steadyStart = skipped === 0 ? stage.started : stage.stepEnds[skipped - 1];
  return {
    steps,
    warmupSteps: skipped,
    seconds: (last - stage.started) / 1000,
    msPerStep: (last - steadyStart) / (steps - skipped),
    firstStepMs: stage.stepEnds[0] - stage.started,
  };
}
