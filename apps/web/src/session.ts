// Runs training generators for the page: pause, resume and stop between minibatches, the event
// loop given back to the browser at least every frame, and each minibatch step timed.
import type { TrainingEvent, TrainingResult } from '@sdae/train/browser';

/** Where a session is. */
export type SessionState = 'running' | 'paused' | 'stopping' | 'finished';

/** How long the page may be kept busy before the session yields to it, in milliseconds. */
const FRAME_BUDGET = 16;

/** Resolves after the browser has handled pending input and rendering (a macrotask, unclamped). */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(undefined);
  });
}

/**
 * One training run of a panel, possibly over several loops (SdA pretraining, then fine-tuning).
 * Training stays on the page's thread; the session gives the thread back every frame so the page
 * stays responsive.
 */
export class TrainingSession {
  readonly #controller = new AbortController();
  #state: SessionState = 'running';
  #resume: (() => void) | undefined;
  #lastYield = performance.now();
  /** Milliseconds of each minibatch step, in order (time spent inside the loop only). */
  readonly stepMilliseconds: number[] = [];

  constructor(private readonly onStateChange: (state: SessionState) => void = () => {}) {}

  /** Pass this to the loops' `signal` option. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get state(): SessionState {
    return this.#state;
  }

  pause(): void {
    if (this.#state === 'running') this.#setState('paused');
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#setState('running');
    this.#resume?.();
  }

  /** Stops after the current minibatch; a paused session stops at once. */
  stop(): void {
    if (this.#state === 'finished') return;
    this.#controller.abort();
    this.#setState('stopping');
    this.#resume?.();
  }

  /** Marks the session finished (its last loop is done). */
  finish(): void {
    this.#setState('finished');
  }

  /**
   * Drives one training generator to its end, calling `onEvent` for each event, and returns its
   * result. Stop aborts the loop through {@link signal}; the loop then ends with 'aborted'.
   */
  async drive(events: AsyncGenerator<TrainingEvent, TrainingResult>, onEvent: (event: TrainingEvent) => void): Promise<TrainingResult> {
    for (;;) {
      while (this.#state === 'paused') await new Promise<void>((resolve) => (this.#resume = resolve));
      const started = performance.now();
      const next = await events.next();
      if (next.done === true) return next.value;
      if (next.value.type === 'batch-end') this.stepMilliseconds.push(performance.now() - started);
      onEvent(next.value);
      if (performance.now() - this.#lastYield > FRAME_BUDGET) {
        await yieldToBrowser();
        this.#lastYield = performance.now();
      }
    }
  }

  /** The median step time in milliseconds, NaN before the first step. */
  medianStepMilliseconds(): number {
    if (this.stepMilliseconds.length === 0) return Number.NaN;
    const sorted = [...this.stepMilliseconds].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  #setState(state: SessionState): void {
    this.#state = state;
    this.onStateChange(state);
  }
}
