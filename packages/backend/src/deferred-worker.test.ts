import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DeferredWorker } from './deferred-worker';

// A worker speaking the pthread protocol's two ends that matter here: it answers `load` with
// `loaded`, and any other command with the commands it has received so far.
const ECHO_WORKER = `
const { parentPort } = require('node:worker_threads');
const received = [];
parentPort.on('message', (message) => {
  received.push(message.cmd);
  parentPort.postMessage(message.cmd === 'load' ? { cmd: 'loaded' } : { cmd: 'echo', received: [...received] });
});`;

describe('DeferredWorker', () => {
  it('answers load as a loaded worker without starting one', async () => {
    let starts = 0;
    const worker = new DeferredWorker(() => {
      starts += 1;
      return new Worker(ECHO_WORKER, { eval: true });
    });
    const answer = once(worker, 'message');
    worker.postMessage({ cmd: 'load', wasmModule: 'module' });
    expect(await answer).toEqual([{ cmd: 'loaded' }]);
    expect([starts, worker.started]).toEqual([0, false]);
    expect(await worker.terminate()).toBe(0);
  });

  it('starts the worker at the first other message, sends it the load first and passes on all but its loaded answer', async () => {
    const worker = new DeferredWorker(() => new Worker(ECHO_WORKER, { eval: true }));
    const messages: unknown[] = [];
    worker.on('message', (message) => messages.push(message));
    worker.postMessage({ cmd: 'load' });
    await once(worker, 'message');
    worker.postMessage({ cmd: 'run' });
    expect(worker.started).toBe(true);
    await once(worker, 'message');
    worker.postMessage({ cmd: 'processProxyingQueue' });
    await once(worker, 'message');
    expect(messages).toEqual([
      { cmd: 'loaded' },
      { cmd: 'echo', received: ['load', 'run'] },
      { cmd: 'echo', received: ['load', 'run', 'processProxyingQueue'] },
    ]);
    await worker.terminate();
  });

  it('keeps the process alive no more than a loaded pthread worker does (unreferenced once started)', async () => {
    const referenced = () => process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort' || kind === 'Worker').length;
    const before = referenced();
    const worker = new DeferredWorker(() => new Worker(ECHO_WORKER, { eval: true }));
    worker.postMessage({ cmd: 'load' });
    await once(worker, 'message');
    worker.postMessage({ cmd: 'run' });
    await once(worker, 'message');
    expect(referenced()).toBe(before);
    await worker.terminate();
  });

  it('passes on an error of the started worker', async () => {
    const worker = new DeferredWorker(
      () => new Worker("require('node:worker_threads').parentPort.once('message', () => { throw new Error('boom'); });", { eval: true }),
    );
    worker.postMessage({ cmd: 'load' });
    await once(worker, 'message');
    const failure = once(worker, 'error');
    worker.postMessage({ cmd: 'run' });
    const [error] = await failure;
    expect((error as Error).message).toBe('boom');
  });
});
