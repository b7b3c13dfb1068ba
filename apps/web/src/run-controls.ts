// Start, pause and stop buttons with a status line: the same controls on every panel.
import { h } from './dom';
import { TrainingSession, type SessionState } from './session';

/** What a panel gives its controls. */
export interface RunControlsOptions {
  /** The id prefix of the buttons and status (`da` gives `da-start`, `da-status`, ...). */
  id: string;
  /** Runs one training session; a thrown error is shown in the status line. */
  run: (session: TrainingSession) => Promise<void>;
  /** Whether training may start now (e.g. data loaded, no other panel training). */
  canStart: () => string | undefined;
  /** Called when a session starts and ends, so the page can lock shared settings. */
  onBusyChange: (busy: boolean) => void;
}

/** The buttons and status line of a panel, wired to a {@link TrainingSession} per start. */
export class RunControls {
  readonly element: HTMLElement;
  readonly status: HTMLOutputElement;
  #session: TrainingSession | undefined;
  readonly #start: HTMLButtonElement;
  readonly #pause: HTMLButtonElement;
  readonly #stop: HTMLButtonElement;

  constructor(private readonly options: RunControlsOptions) {
    this.#start = h('button', { id: `${options.id}-start`, type: 'button', class: 'primary' }, 'Start');
    this.#pause = h('button', { id: `${options.id}-pause`, type: 'button', disabled: '' }, 'Pause');
    this.#stop = h('button', { id: `${options.id}-stop`, type: 'button', disabled: '' }, 'Stop');
    this.status = h('output', { id: `${options.id}-status`, class: 'status', 'aria-live': 'polite' }, 'Ready.');
    this.element = h('div', { class: 'controls' }, this.#start, this.#pause, this.#stop, this.status);
    this.#start.addEventListener('click', () => void this.start());
    this.#pause.addEventListener('click', () => {
      if (this.#session?.state === 'paused') this.#session.resume();
      else this.#session?.pause();
    });
    this.#stop.addEventListener('click', () => this.#session?.stop());
  }

  /** The running session, if any. */
  get session(): TrainingSession | undefined {
    return this.#session;
  }

  /** Shows a message in the status line; errors are marked for assistive technology. */
  say(message: string, kind: 'info' | 'error' = 'info'): void {
    this.status.textContent = message;
    this.status.classList.toggle('error', kind === 'error');
    if (kind === 'error') this.status.setAttribute('role', 'alert');
    else this.status.removeAttribute('role');
  }

  async start(): Promise<void> {
    if (this.#session !== undefined && this.#session.state !== 'finished') return;
    const reason = this.options.canStart();
    if (reason !== undefined) {
      this.say(reason, 'error');
      return;
    }
    const session = new TrainingSession((state) => this.#render(state));
    this.#session = session;
    this.#render('running');
    this.options.onBusyChange(true);
    try {
      await this.options.run(session);
    } catch (error) {
      console.error(error);
      this.say(`Training failed: ${(error as Error).message}`, 'error');
    } finally {
      session.finish();
      this.options.onBusyChange(false);
    }
  }

  #render(state: SessionState): void {
    const active = state === 'running' || state === 'paused';
    this.#start.disabled = active || state === 'stopping';
    this.#pause.disabled = !active;
    this.#pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
    this.#stop.disabled = !active;
    this.element.dataset.state = state;
  }
}
