import { createRequire } from 'node:module';
import { SdaeError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { MissingDependencyError, importSweepQueue, importSweepWorker, isMissingPackage } from './optional-dependency';

describe('isMissingPackage', () => {
  it("recognises Node's errors for a package that is not installed, from import and from require", async () => {
    const imported = await import(/* @vite-ignore */ ['sdae-no-such', 'package'].join('-')).catch((error: unknown) => error);
    expect(isMissingPackage(imported, 'sdae-no-such-package')).toBe(true);
    let required: unknown;
    try {
      createRequire(import.meta.url)('sdae-no-such-package');
    } catch (error) {
      required = error;
    }
    expect(isMissingPackage(required, 'sdae-no-such-package')).toBe(true);
  });

  it('refuses another package, and a missing file inside the package', () => {
    const error = Object.assign(new Error("Cannot find package 'ioredis' imported from /app/node_modules/bullmq/dist/esm/index.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isMissingPackage(error, 'bullmq')).toBe(false);
    const file = Object.assign(new Error("Cannot find module '/app/node_modules/bullmq/dist/esm/classes/x.js'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isMissingPackage(file, 'bullmq')).toBe(false);
  });
});

describe('MissingDependencyError', () => {
  it('names the feature, the package and the command that adds it', () => {
    const error = new MissingDependencyError('bullmq', 'sdae worker', 'is not installed here');
    expect(error.message).toBe(
      'sdae worker needs bullmq, an optional dependency of @sdae/cli that is not installed here. ' +
        'Install it beside the CLI (npm install bullmq) or reinstall @sdae/cli without --omit=optional.',
    );
    expect(error.dependency).toBe('bullmq');
    expect(MissingDependencyError.isInstance(error)).toBe(true);
    expect(SdaeError.isInstance(error)).toBe(true);
    expect(MissingDependencyError.isInstance(new SdaeError('other'))).toBe(false);
  });
});

describe('importSweepQueue and importSweepWorker', () => {
  it('load the sweep queue and the worker where bullmq is installed', async () => {
    const queue = await importSweepQueue('sdae sweep --queue');
    expect(typeof queue.submitSweep).toBe('function');
    expect(typeof queue.attachSweep).toBe('function');
    const worker = await importSweepWorker('sdae worker');
    expect(typeof worker.runWorker).toBe('function');
  });
});
