// Test helpers (not part of the command): run the built command as a user would and measure the
// peak resident memory it reached, reported by the child itself (process.resourceUsage().maxRSS,
// the kernel's high-water mark, written as the process exits) so no timing or polling is involved.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

/** The most resident memory a run on hostile input may reach (issue 27: 300 MB). */
export const MAX_PEAK_RSS_BYTES = 300 * 1024 * 1024;

/** What a measured run printed, how it ended, and its peak resident memory in bytes (undefined when it did not exit by itself). */
export interface MeasuredRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  peakRss: number | undefined;
}

function withoutWasmThreads(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'SDAE_WASM_THREADS'));
}

/**
 * Runs `node dist/main.js ...args` with `SDAE_DEBUG=1` (so stderr also holds the error's stack,
 * which starts with its class name) and returns how it ended and its peak RSS. Killed after
 * `timeoutMs` (a hang: the hostile inputs are refused in about a second).
 */
export function measuredSdae(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<MeasuredRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'sdae-rss-'));
  const preload = join(scratch, 'peak-rss.cjs');
  const report = join(scratch, 'peak-rss');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS * 1024)));\n`,
  );
  const child = spawn(process.execPath, ['--require', preload, MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The wasm backend as users get it (threads on every core), not the one thread the unit tests ask for.
    env: { ...withoutWasmThreads(process.env), SDAE_DEBUG: '1', ...options.env },
    timeout: options.timeoutMs ?? 120_000,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let peakRss: number | undefined;
      try {
        peakRss = Number(readFileSync(report, 'utf8'));
      } catch {
        peakRss = undefined;
      }
      rmSync(scratch, { recursive: true, force: true });
      resolve({ args, code, signal, out, err, peakRss });
    });
  });
}
