// A pthread worker of tfjs's wasm pool that starts only when it is given a thread to run.
//
// tfjs-backend-wasm's Emscripten build fills a pool of 8 pthread workers whatever the thread
// count, and the backend starts only once every one has loaded; XNNPACK's pool then runs on
// threads - 1 of them. Each worker evaluates the whole main script, 100-250 ms of CPU, so on a
// 2-core machine the idle ones took the cores from the rest of start-up (`sdae da` reached its
// first step about 250 ms later with 8 workers than with none). wasm-threads.ts fills the pool
// past the threads - 1 pthreads with these stand-ins, in the places Emscripten hands out last.
import { EventEmitter } from 'node:events';
import type { Worker as NodeWorker } from 'node:worker_threads';

type TransferList = Parameters<NodeWorker['postMessage']>[1];

/** A message of Emscripten's pthread protocol (`load`, `loaded`, `run`...). */
interface PthreadMessage {
  cmd?: string;
}

const commandOf = (message: unknown): string | undefined => (message as PthreadMessage | null)?.cmd;

/**
 * Answers Emscripten's `load` as a loaded worker would, without starting a thread; the first
 * other message (a pthread to `run`) starts the real worker from `start`, which is sent the
 * `load` it was spared, then that message and every later one. Its own `loaded` answer is not
 * passed on (the pool counted this worker loaded already); its other messages and errors are.
 */
export class DeferredWorker extends EventEmitter {
  private worker: NodeWorker | undefined;
  private load: { message: unknown; transferList: TransferList } | undefined;

  constructor(private readonly start: () => NodeWorker) {
    super();
  }

  /** Whether the real worker has been started (a thread was given to this one). */
  get started(): boolean {
    return this.worker !== undefined;
  }

  postMessage(message: unknown, transferList?: TransferList): void {
    if (this.worker === undefined && this.load === undefined && commandOf(message) === 'load') {
      this.load = { message, transferList };
      // As a worker's answer would: after the caller's turn.
      setImmediate(() => this.emit('message', { cmd: 'loaded' }));
      return;
    }
    if (this.worker === undefined) this.startWorker();
    this.worker!.postMessage(message, transferList);
  }

  private startWorker(): void {
    const worker = this.start();
    this.worker = worker;
    let loaded = false;
    worker.on('message', (message: unknown) => {
      if (!loaded && commandOf(message) === 'loaded') loaded = true;
      else this.emit('message', message);
    });
    worker.on('error', (error: unknown) => this.emit('error', error));
    // Emscripten unrefs a worker when it reports loaded, which this one's answer does not reach.
    // After the listeners: a 'message' listener refs the worker's port again.
    worker.unref();
    if (this.load !== undefined) worker.postMessage(this.load.message, this.load.transferList);
  }

  /** Emscripten's pool threads never keep the process alive (see wasm-threads.ts). */
  ref(): void {}

  unref(): void {}

  async terminate(): Promise<number> {
    return this.worker === undefined ? 0 : this.worker.terminate();
  }
}
