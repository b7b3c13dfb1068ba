import { SdaeError } from '@sdae/datasets';

/**
 * A backend that was asked for by name cannot start here. `backend` is the name asked for,
 * `reason` why it cannot start (not installed, no GPU, not this platform...).
 */
export class BackendUnavailableError extends SdaeError {
  readonly backend: string;
  readonly reason: string;

  constructor(backend: string, reason: string, message: string) {
    super(message);
    this.backend = backend;
    this.reason = reason;
  }
}
