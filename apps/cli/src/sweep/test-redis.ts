// Test helper (not part of the command): a real redis-server (Debian's, which scripts/run.mjs
// installs when it is missing) on a free port, without persistence, for the queue tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { requireRedis } from './redis-connection';

/** A free TCP port of `host`, as the system hands it out. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running redis-server: its port and process; `url` for database 0 of 127.0.0.1. */
export interface TestRedis {
  port: number;
  url: string;
  process: ChildProcess;
  /** Kills it (SIGKILL) and resolves once it has exited. */
  stop: () => Promise<void>;
}

/**
 * Starts redis-server on `port` (a free one by default) of 127.0.0.1 with `extra` arguments, its
 * files in `directory`, and resolves once it answers `ready` (a URL; `redis://127.0.0.1:PORT/0`
 * by default), retrying as it starts.
 */
export async function startRedis(
  directory: string,
  options: { port?: number; extra?: string[]; ready?: (port: number) => string } = {},
): Promise<TestRedis> {
  if (spawnSync('which', ['redis-server']).status !== 0) {
    throw new Error('redis-server is missing: install it with apt-get install redis-server (npm test does, run as root).');
  }
  const port = options.port ?? (await freePort());
  mkdirSync(directory, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory, ...(options.extra ?? [])],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // redis-server says when it accepts connections; wait for that line rather than for a time.
  await new Promise<void>((resolve, reject) => {
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (/Ready to accept connections/.test(printed)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${printed}`)));
  });
  child.stdout!.resume();
  const url = `redis://127.0.0.1:${port}/0`;
  await requireRedis(options.ready?.(port) ?? url);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    port,
    url,
    process: child,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs `redis-cli -p PORT ...args` and returns what it printed. */
export function redisCli(port: number, args: string[], host = '127.0.0.1'): string {
  const result = spawnSync('redis-cli', ['-h', host, '-p', String(port), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}
