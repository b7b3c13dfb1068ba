import { SdaeError } from '@sdae/core';
import type * as SweepQueue from './sweep/queue';
import type * as SweepWorker from './sweep/worker';

/**
 * A feature needs one of the CLI's optional dependencies (bullmq for `--queue` and `sdae worker`),
 * which this install left out (`npm install --omit=optional`, or a platform npm could not serve).
 * The message names the feature, the package and the command that adds it.
 */
export class MissingDependencyError extends SdaeError {
  /** The package that is missing, such as `bullmq`. */
  readonly dependency: string;

  constructor(dependency: string, feature: string, reason: string) {
    super(
      `${feature} needs ${dependency}, an optional dependency of @sdae/cli that ${reason}. ` +
        `Install it beside the CLI (npm install ${dependency}) or reinstall @sdae/cli without --omit=optional.`,
    );
    this.dependency = dependency;
  }
}

/** True for Node's "cannot find" error about `dependency` itself (not about a file inside it). */
export function isMissingPackage(error: unknown, dependency: string): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes(`'${dependency}'`);
}

/**
 * The sweep queue (BullMQ on Redis), loaded on first use so that the CLI starts, and every
 * command but `sweep --queue` and `worker` runs, without bullmq installed.
 *
 * @throws {MissingDependencyError} when bullmq is not installed.
 */
export function importSweepQueue(feature: string): Promise<typeof SweepQueue> {
  return withBullmq(feature, () => import('./sweep/queue'));
}

/**
 * The sweep worker (BullMQ on Redis), loaded on first use as {@link importSweepQueue} is.
 *
 * @throws {MissingDependencyError} when bullmq is not installed.
 */
export function importSweepWorker(feature: string): Promise<typeof SweepWorker> {
  return withBullmq(feature, () => import('./sweep/worker'));
}

async function withBullmq<T>(feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, 'bullmq')) throw new MissingDependencyError('bullmq', feature, 'is not installed here');
    throw error;
  }
}
