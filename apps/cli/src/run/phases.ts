/**
 * Start-up phases of a run, in milliseconds since the process started (`performance.now()` counts
 * from it): where the time before the first training step goes. `--verbose` prints them once, at
 * the first step.
 */
const marks: { phase: string; ms: number }[] = [];
let printed = false;
/** The phases after the steps (the last step, the test evaluation, the report), each at its latest time. */
const endMarks: { phase: string; ms: number }[] = [];

/** Starts a run's phases afresh (a test or a sweep runs several in one process), marking `args` now. */
export function startPhases(): void {
  marks.length = 0;
  endMarks.length = 0;
  printed = false;
  markPhase('args');
}

/** Records that `phase` ended now (the first time only: a later SdA layer or run does not move it). */
export function markPhase(phase: string): void {
  if (!marks.some((mark) => mark.phase === phase)) marks.push({ phase, ms: performance.now() });
}

/**
 * The phases as one line, `start-up (ms since process start): args 95, tfjs backend 310, ...`,
 * once per run (undefined afterwards, and before any phase was marked).
 */
export function startupLine(): string | undefined {
  if (printed || marks.length === 0) return undefined;
  printed = true;
  return `start-up (ms since process start): ${marks.map(({ phase, ms }) => `${phase} ${Math.round(ms)}`).join(', ')}`;
}

/**
 * Records that `phase`, one of the run's last (`last step`, `test evaluated`, `report written`),
 * ended now: its latest time counts, so `last step` may be marked at every step.
 */
export function markEndPhase(phase: string): void {
  const mark = endMarks.find((each) => each.phase === phase);
  if (mark === undefined) endMarks.push({ phase, ms: performance.now() });
  else mark.ms = performance.now();
}

/**
 * Where the time after the steps went, as one line, `after the steps (ms since process start):
 * last step 5210, test evaluated 5350, report written 5590`; undefined before a step was marked.
 */
export function endLine(): string | undefined {
  if (!endMarks.some(({ phase }) => phase === 'last step')) return undefined;
  return `after the steps (ms since process start): ${endMarks.map(({ phase, ms }) => `${phase} ${Math.round(ms)}`).join(', ')}`;
}
