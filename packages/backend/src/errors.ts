import { SdaeError } from '@sdae/core';

const BACKEND_UNAVAILABLE_MARKER = 'sdae.error.BackendUnavailableError';
const BACKEND_UNAVAILABLE_SYMBOL = Symbol.for(BACKEND_UNAVAILABLE_MARKER);

/**
 * A backend that was asked for by name cannot start here. `backend` is the name asked for,
 * `reason` why it cannot start (not installed, no GPU, not this platform...).
 */
export class BackendUnavailableError extends SdaeError {
  protected readonly [BACKEND_UNAVAILABLE_SYMBOL] = true;
  readonly backend: string;
  readonly reason: string;

  constructor(backend: string, reason: string, message: string) {
    super(message);
    this.backend = backend;
    this.reason = reason;
  }

  /** True when `value` is a {@link BackendUnavailableError}, from this copy of `@sdae/backend` or any other. */
  static override isInstance(value: unknown): value is BackendUnavailableError {
    return SdaeError.hasMarker(value, BACKEND_UNAVAILABLE_MARKER);
  }
}
