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
 * Whether the gap between two step ends lies inside one run of several steps: the native engine
 * runs a large model's steps in groups (8 to 32 as one graph) and reports a group's steps at
 * once, microseconds apart (a garbage collection can stretch one to a few milliseconds), while
 * two runs lie a run's time apart. A gap inside a run is under a third of the median of the
 * stage's gaps of 0.05 ms or more (mostly the runs' own, one by one or in groups).
 */
function sameRunGap(ends) {
  const sizable = ends
    .slice(1)
    .map((end, index) => end - ends[index])
    .filter((gap) => gap >= 0.05)
    .sort((a, b) => a - b);
  const bound = sizable.length === 0 ? 0.05 : sizable[sizable.length >> 1] / 3;
  return (gap) => gap < bound;
}

/**
 * The timing of one stage: `seconds` from its start to its last step (warm-up included), and
 * `msPerStep`, the steady state, over the steps that ended after the first `warmup` ones and
 * after the run those ended in: steps reported with the last warm-up step ran before it, so
 * counting them would divide the steady time by steps it does not hold (8-step groups and 3
 * warm-up steps made 50 steps read 11 % fast).
 */
export function summarizeStage(stage, warmup) {
  const ends = stage.stepEnds;
  const steps = ends.length;
  if (steps === 0) return { steps, seconds: 0, msPerStep: Number.NaN };
  const last = ends[steps - 1];
  let skipped = Math.min(warmup, steps - 1);
  const inOneRun = sameRunGap(ends);
  while (skipped > 0 && skipped < steps - 1 && inOneRun(ends[skipped] - ends[skipped - 1])) skipped++;
  const steadyStart = skipped === 0 ? stage.started : ends[skipped - 1];
  return {
    steps,
    warmupSteps: skipped,
    seconds: (last - stage.started) / 1000,
    msPerStep: (last - steadyStart) / (steps - skipped),
    firstStepMs: ends[0] - stage.started,
  };
}
