/**
 * Start-up phases of a run, in milliseconds since the process started (`performance.now()` counts
 * from it): where the time before the first training step goes. `--verbose` prints them once, at
 * the first step.
 */
const marks: { phase: string; ms: number }[] = [];
let printed = false;

/** Starts a run's phases afresh (a test or a sweep runs several in one process), marking `args` now. */
export function startPhases(): void {
  marks.length = 0;
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
