import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@sdae/backend';
import { loadModel } from '@sdae/layers';
import { decodeCheckpoint } from '@sdae/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT, run } from './cli';
import { LOCK_FILE } from './run/out-lock';

// The built command, run as a user runs it, killed as a crash or the OOM killer would.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const TINY = ['--split', 'mini', '--limit', '50', '--hidden', '8', '--batch-size', '10', '--backend', 'cpu', '--engine', 'tfjs'];

/** Starts `sdae ...args`; resolves `started` once stdout matches `ready`, `exited` with the exit code or signal. */
function start(args: string[], ready = /^Training epoch 0,/m) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const started = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (ready.test(out)) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, started, exited };
}

const LEFTOVER = /\.(partial|previous|tmp)-|^\.sdae-lock/;

describe('kill -9 during training and saving (real processes)', () => {
  beforeAll(() => selectBackend({ backend: 'cpu' }));

  it('leaves only valid checkpoints and models, and the next run removes every leftover', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-kill-'));
    try {
      // Each run is killed at a point it has reached, whatever the machine's speed: as it starts,
      // after its first line (data loading), after the engine line, after an epoch's line (while
      // the checkpoint is written or the next epoch trains), or after the last epoch's line (while
      // the model and report are saved: the run may finish first).
      let kills = 0;
      let certain = 0;
      for (let attempt = 0; attempt < 26; attempt++) {
        const epochs = 4 + (attempt % 5);
        const points = [
          /^/,
          /^dA /m,
          /^engine: /m,
          ...Array.from({ length: epochs }, (_, epoch) => new RegExp(`^Training epoch ${epoch},`, 'm')),
        ];
        const point = (attempt * 7) % points.length;
        const { child, started, exited } = start(['da', ...TINY, '--epochs', String(epochs), '--out', out], points[point]);
        if (point === 0) child.once('spawn', () => child.kill('SIGKILL'));
        else void started.then(() => child.kill('SIGKILL'));
        const { signal } = await exited;
        // Before the last epoch's line the run is still going when the kill comes.
        if (point < points.length - 1) {
          certain++;
          expect(signal).toBe('SIGKILL');
        }
        if (signal === 'SIGKILL') kills++;
        const names = readdirSync(out);
        if (names.includes('checkpoint.sdae')) {
          const path = join(out, 'checkpoint.sdae');
          expect(() => decodeCheckpoint(new Uint8Array(readFileSync(path)), path)).not.toThrow();
        }
        // A model exists under its name or as the previous copy loadModel puts back.
        if (names.some((name) => name === 'model' || name.startsWith('model.previous-'))) {
          const model = await loadModel(join(out, 'model'));
          expect(model.className).toBe('DenoisingAutoencoder');
          model.dispose();
        }
      }
      expect(certain).toBeGreaterThanOrEqual(20);
      expect(kills).toBeGreaterThanOrEqual(certain);
      // Whatever the kills left, plus every kind of leftover for certain: the next run removes them all.
      writeFileSync(join(out, 'checkpoint.sdae.tmp-0badc0de'), 'half a checkpoint');
      mkdirSync(join(out, 'model.partial-0badc0de'));
      mkdirSync(join(out, 'model.previous-0badc0de'));
      writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 1, started: 'long ago', command: 'sdae da' }));
      const last = await start(['da', ...TINY, '--epochs', '2', '--out', out]).exited;
      expect(last.code, last.err).toBe(0);
      expect(readdirSync(out).filter((name) => LEFTOVER.test(name))).toEqual([]);
      expect(existsSync(join(out, 'model', 'weights.bin'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('--out in use by another run', () => {
  it('is refused while that run lives, naming its pid, and its lock is taken over once it is killed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-lock-'));
    try {
      // TINY with a larger --limit and --batch-size 1 (a flag is given once).
      const long = ['--split', 'mini', '--limit', '1000', '--hidden', '8', '--batch-size', '1', '--backend', 'cpu', '--engine', 'tfjs'];
      const running = start(['da', ...long, '--epochs', '50', '--out', out]);
      await running.started;
      let err = '';
      const refused = await run(['da', ...TINY, '--epochs', '1', '--out', out], { out: () => {}, err: (text) => (err += text) });
      expect(refused).toBe(EXIT.failed);
      expect(err).toContain(`sdae: --out ${out} is in use by another run (pid ${running.child.pid}, started `);
      expect(err).toContain('Wait for it to finish or choose another --out');
      running.child.kill('SIGKILL');
      await running.exited;
      // The dead run's lock stays behind, stale; the next run takes it over and removes it at the end.
      expect(JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')).pid).toBe(running.child.pid);
      const next = await run(['da', ...TINY, '--epochs', '1', '--out', out], { out: () => {}, err: () => {} });
      expect(next).toBe(EXIT.ok);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('takes over a lock whose content is unreadable', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-lock-bad-'));
    try {
      writeFileSync(join(out, LOCK_FILE), 'garbage');
      expect(await run(['da', ...TINY, '--epochs', '1', '--out', out], { out: () => {}, err: () => {} })).toBe(EXIT.ok);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
