// What every panel shares: the active backend, the loaded MNIST, and one training at a time.
import type { BackendReport } from '@sdae/backend';
import type { Mnist } from '@sdae/datasets/browser';

/** The page's shared state, passed to each panel. */
export interface AppContext {
  /** The backend now active, undefined until the first selection finished. */
  backend: BackendReport | undefined;
  /** MNIST in the chosen split, undefined while loading. */
  mnist: Mnist | undefined;
  /** Whether a panel is training (only one at a time: they share the backend). */
  busy: boolean;
  /** Called by a panel when it starts or stops training. */
  setBusy: (busy: boolean) => void;
}

/** Why training cannot start now, or undefined when it can. */
export function startBlocker(app: AppContext): string | undefined {
  if (app.backend === undefined) return 'The backend is still starting.';
  if (app.mnist === undefined) return 'MNIST is still loading.';
  if (app.busy) return 'Another panel is training: stop it first (the panels share the backend).';
  return undefined;
}

/** The URL of a static asset of the app (MNIST files, wasm binaries), whatever folder it is served from. */
export function assetUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, document.baseURI).href;
}
