import { formatDuration, type ProgressSnapshot } from '../run/progress';
import type { Output } from '../output';
import type { TrialProgress } from './trial-process';

/** A trial's progress in a few words: `epoch 3/5 41% loss 88.1 ETA 12 s`. */
export function formatTrialProgress(snapshot: ProgressSnapshot): string {
  const percent = `${Math.floor((100 * snapshot.done) / snapshot.total)}%`;
  const what =
    snapshot.unit === 'iteration'
      ? `iteration ${snapshot.done}/${snapshot.total}`
      : `${snapshot.layer === undefined ? '' : `layer ${snapshot.layer} `}epoch ${snapshot.epoch + 1}/${snapshot.epochs} ${percent}`;
  return `${what} loss ${Number(snapshot.loss.toPrecision(4))} ETA ${formatDuration(snapshot.runSeconds)}`;
}

/** How often the status line is redrawn at most, in milliseconds. */
const REDRAW_INTERVAL = 200;

/**
 * What a local sweep prints about its running trials. On a terminal, one status line kept under
 * the sweep's other lines, showing each running trial's epoch, share of the epoch done, running
 * loss and ETA; otherwise (a log file, a pipe) a line per finished epoch of each trial, as the
 * trial logs it, after the count of epochs done: `trial 0123abcd4567 (learning-rate=0.1) [3/5]:
 * Training epoch 2, cost 88.1`.
 */
export class SweepProgress {
  readonly #output: Output;
  readonly #now: () => number;
  readonly #running = new Map<string, { label: string; status: string | undefined }>();
  #statusShown = false;
  #lastDrawn = Number.NEGATIVE_INFINITY;

  /** @param now the clock in milliseconds (tests pass their own). */
  constructor(output: Output, now: () => number = () => performance.now()) {
    this.#output = output;
    this.#now = now;
  }

  get #onTerminal(): boolean {
    return this.#output.isTTY === true;
  }

  /** Prints a line of the sweep's own (a trial started or ended) above the status line. */
  line(text: string): void {
    this.#clear();
    this.#output.out(`${text}\n`);
    this.#draw(true);
  }

  /** A trial started: `label` names it (its grid values). */
  start(id: string, label: string): void {
    this.#running.set(id, { label, status: undefined });
  }

  /** Takes a message from a running trial. */
  progress(id: string, message: TrialProgress): void {
    const trial = this.#running.get(id);
    if (trial === undefined) return;
    if (message.type === 'epoch') {
      if (!this.#onTerminal) this.line(`trial ${id} (${trial.label}) [${message.done}/${message.total}]: ${message.line}`);
      return;
    }
    trial.status = formatTrialProgress(message.snapshot);
    this.#draw(false);
  }

  /** A trial ended: it leaves the status line. */
  end(id: string): void {
    this.#running.delete(id);
  }

  /** Removes the status line (before the sweep's closing lines). */
  close(): void {
    this.#clear();
  }

  #clear(): void {
    if (!this.#statusShown) return;
    this.#output.out('\r\u001b[K');
    this.#statusShown = false;
  }

  #draw(force: boolean): void {
    if (!this.#onTerminal) return;
    const now = this.#now();
    if (!force && now - this.#lastDrawn < REDRAW_INTERVAL) return;
    const parts = [...this.#running.values()]
      .filter((trial) => trial.status !== undefined)
      .map((trial) => `${trial.label}: ${trial.status}`);
    if (parts.length === 0) return;
    this.#lastDrawn = now;
    // Cut to the terminal's width: a wrapped line could not be redrawn in place.
    const width = Math.max(20, (this.#output.columns ?? 100) - 1);
    const text = parts.join(' | ');
    this.#output.out(`\r\u001b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.#statusShown = true;
  }
}
