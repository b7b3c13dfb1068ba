// The backend chooser: automatic (webgpu, webgl, wasm, cpu, the first that starts) or by name,
// with the selection report of @sdae/backend shown as it explains its choice.
import * as tf from '@tensorflow/tfjs-core';
// The page offers every browser backend, so it includes the two GPU ones (apps that want a
// smaller bundle import only those they offer).
import '@sdae/backend/webgpu';
import '@sdae/backend/webgl';
import { formatBackendReport, selectBackend, type BackendName, type BackendReport } from '@sdae/backend';
import { assetUrl } from './app-context';
import { field, h, select } from './dom';

const CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
type Choice = (typeof CHOICES)[number];

// tfjs's threaded wasm build fails inside bundled apps (its pthread workers miss the main script's
// scope: "e is not defined"), so the page never asks for it, even on a cross-origin-isolated host.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

/** The chooser's element and the promise of each selection. */
export class BackendChooser {
  readonly element: HTMLElement;
  readonly #select: HTMLSelectElement;
  readonly #report: HTMLPreElement;
  readonly #summary: HTMLElement;
  readonly #probe: boolean;

  constructor(private readonly onSelected: (report: BackendReport | undefined) => void) {
    const query = new URLSearchParams(location.search);
    const initial = (query.get('backend') ?? 'auto') as Choice;
    // ?probe=1: the automatic choice times a short step on each backend and keeps the fastest.
    this.#probe = query.get('probe') === '1';
    this.#select = select('backend', CHOICES, CHOICES.includes(initial) ? initial : 'auto', {
      auto: this.#probe ? 'automatic (fastest probe step)' : 'automatic (GPU unless it renders in software)',
    });
    this.#summary = h('strong', { id: 'backend-name' }, 'starting…');
    this.#report = h('pre', { id: 'backend-report', class: 'report' });
    this.element = h(
      'section',
      { id: 'backend-section', class: 'card' },
      h('h2', {}, 'Backend'),
      h('div', { class: 'row' }, field('Backend', this.#select), h('span', {}, 'Active: ', this.#summary)),
      h('details', {}, h('summary', {}, 'Why this backend'), this.#report),
    );
    this.#select.addEventListener('change', () => void this.choose());
  }

  /** Enables or disables the chooser (it is locked while a panel trains). */
  set locked(locked: boolean) {
    this.#select.disabled = locked;
  }

  /** Selects the chosen backend and shows the report; on failure shows why and keeps the old one. */
  async choose(): Promise<BackendReport | undefined> {
    const choice = this.#select.value as Choice;
    this.#summary.textContent = 'starting…';
    this.onSelected(undefined);
    try {
      const report = await selectBackend({
        backend: choice === 'auto' ? 'auto' : (choice as BackendName),
        wasmPaths: assetUrl('wasm/'),
        probe: this.#probe,
      });
      this.#summary.textContent = report.backend;
      this.#report.textContent = formatBackendReport(report);
      this.#report.classList.remove('error');
      this.onSelected(report);
      return report;
    } catch (error) {
      this.#summary.textContent = `${choice} failed`;
      this.#report.textContent = (error as Error).message;
      this.#report.classList.add('error');
      this.#report.closest('details')!.open = true;
      if (choice === 'auto') return undefined;
      this.#select.value = 'auto';
      return this.choose();
    }
  }
}
