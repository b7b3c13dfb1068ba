import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../cli';
import { EXIT } from '../output';
import type { TrialRow } from './summary';
import { sdae, startSdae, type StartedCli } from '../test-cli';
import { freePort, startRedis, type TestRedis } from './test-redis';

// Real Redis (Debian's redis-server, which scripts/run.mjs installs when it is missing) on a free
// port of 127.0.0.1, without persistence, and real `sdae worker` processes.

const TINY = ['--split', 'mini', '--limit', '50', '--epochs', '2', '--batch-size', '10', '--backend', 'cpu', '--engine', 'tfjs'];
/** Workers give up a dead worker's trial after 1.5 s instead of 30 s. */
const WORKER_ENV = { SDAE_QUEUE_LOCK_MS: '1500' };

let root: string;
let redis: TestRedis;
let url: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-queue-'));
  redis = await startRedis(join(root, 'redis'));
  url = redis.url;
});

afterAll(async () => {
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

function readRows(out: string): TrialRow[] {
  return (JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { trials: TrialRow[] }).trials;
}

/** Rows without what differs from run to run: the time and the worker. */
function comparable(rows: readonly TrialRow[]) {
  return rows.map(({ seconds: _seconds, worker: _worker, ...row }) => row);
}

/** Runs `sdae ...args` to its end without blocking this process (the workers' output keeps arriving). */
function settled(args: string[]) {
  return startSdae(args).exited;
}

/** Resolves once one of `workers` has printed a line matching `pattern` (a worker prints before its job ends). */
function printedByAny(workers: readonly StartedCli[], pattern: RegExp): Promise<void> {
  return Promise.any(workers.map((worker) => worker.printed(pattern)));
}

/** Stops workers (Ctrl-C) and waits for them. */
async function stopWorkers(workers: readonly StartedCli[]): Promise<void> {
  for (const worker of workers) worker.child.kill('SIGINT');
  await Promise.all(workers.map((worker) => worker.exited));
}

/** A copy of the built command whose package.json says another version. */
function otherVersionMain(): string {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const copy = join(root, 'other-version');
  cpSync(join(cli, 'dist'), join(copy, 'dist'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'));
  writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...manifest, version: '99.0.0' }));
  symlinkSync(join(cli, 'node_modules'), join(copy, 'node_modules'));
  return join(copy, 'dist', 'main.js');
}

describe('sdae sweep --queue and sdae worker (real Redis, real processes)', { timeout: 120_000 }, () => {
  it('says it cannot reach an unreachable Redis and exits 1', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    for (const argv of [
      ['sweep', 'da', '--grid', 'hidden=4', '--queue', closed, '--out', join(root, 'never')],
      ['worker', '--queue', closed],
    ]) {
      const result = sdae(argv);
      expect(result.err).toMatch(new RegExp(`^sdae: cannot reach ${closed}/0: connect ECONNREFUSED`));
      expect(result.code).toBe(EXIT.failed);
    }
  });

  it('runs a 2x2 grid on 2 workers, every trial once, with the rows of a local --workers 2 sweep; a worker of another version refuses it; resubmitting runs nothing', async () => {
    const grid = ['--grid', 'learning-rate=0.05,0.2', '--grid', 'hidden=4,8', ...TINY];
    const workers = [1, 2].map(() => startSdae(['worker', '--queue', url, '--results', join(root, 'grid', 'trials')], { env: WORKER_ENV }));
    const stranger = startSdae(['worker', '--queue', url, '--results', join(root, 'stranger')], {
      env: WORKER_ENV,
      main: otherVersionMain(),
    });
    try {
      await Promise.all([...workers, stranger].map((worker) => worker.printed(/waiting for trials/)));
      const submitted = await settled(['sweep', 'da', ...grid, '--queue', url, '--out', join(root, 'grid')]);
      expect(submitted.code, submitted.err).toBe(EXIT.ok);
      const rows = readRows(join(root, 'grid'));
      expect(rows.map((row) => row.status)).toEqual(['done', 'done', 'done', 'done']);
      for (const row of rows) {
        await printedByAny(workers, new RegExp(`^trial ${row.id} of sweep \\w+: done in`, 'm'));
        const output = readFileSync(join(root, 'grid', 'trials', row.id, 'output.txt'), 'utf8');
        expect(output.match(/^Training epoch 1, cost/gm)).toHaveLength(1);
        // Ran on one worker once, and nowhere else.
        const ranOn = workers.filter((worker) => worker.out().includes(`trial ${row.id} of sweep`));
        expect(ranOn).toHaveLength(1);
        expect(row.worker).toBe(`${/^sdae worker (\S+) /m.exec(ranOn[0]!.out())![1]}`);
      }
      expect(new Set(rows.map((row) => row.worker)).size).toBe(2);
      const local = await settled(['sweep', 'da', ...grid, '--workers', '2', '--out', join(root, 'local')]);
      expect(local.code, local.err).toBe(EXIT.ok);
      expect(comparable(rows)).toEqual(comparable(readRows(join(root, 'local'))));
      const id = /^sweep (\w+): /m.exec(submitted.out)![1];
      stranger.child.kill('SIGINT');
      expect((await stranger.exited).err).toContain(
        `sdae worker: refusing sweep ${id}: it was submitted by sdae ${VERSION}, this worker is sdae 99.0.0; run the same sdae version on every machine.`,
      );
      const again = await settled(['sweep', 'da', ...grid, '--queue', url, '--out', join(root, 'grid')]);
      expect(again.code, again.err).toBe(EXIT.ok);
      expect(again.out).toContain(`sweep ${id}: 4 trials of sdae da on ${url} (queue sdae-sweep-${id}), 0 to run`);
      expect(comparable(readRows(join(root, 'grid')))).toEqual(comparable(rows));
    } finally {
      await stopWorkers([...workers, stranger]);
    }
  });

  it('finishes the trial of a worker killed mid-trial on another, fails a failing trial once, and --attach writes the summary after a detach', async () => {
    const out = join(root, 'killed');
    const grid = [
      '--grid',
      'batch-size=10,100',
      '--grid',
      'hidden=4,8',
      ...TINY.filter((_, index) => index < 6 || index > 7),
      '--seed',
      '1',
    ];
    const workers = [1, 2].map(() => startSdae(['worker', '--queue', url, '--results', join(out, 'trials')], { env: WORKER_ENV }));
    try {
      await Promise.all(workers.map((worker) => worker.printed(/waiting for trials/)));
      const submitter = startSdae(['sweep', 'da', ...grid, '--queue', url, '--out', out]);
      // The first trial a worker starts is killed with it, before it can finish.
      const first = await Promise.race(workers.map((worker) => worker.printed(/^trial \w+ of sweep \w+: running$/m).then(() => worker)));
      first.child.kill('SIGKILL');
      const killedTrial = /^trial (\w+) of sweep \w+: running$/m.exec(first.out())![1]!;
      const survivor = workers.find((worker) => worker !== first)!;
      await submitter.printed(/: running on /);
      submitter.child.kill('SIGINT');
      const detached = await submitter.exited;
      expect(detached.code, detached.err).toBe(EXIT.interrupted);
      const reattach = /^ {2}(sdae sweep --attach .*)$/m.exec(detached.out)![1]!.split(' ').slice(1);
      expect(reattach).toEqual(['sweep', '--attach', expect.stringMatching(/^\w{12}$/), '--queue', url, '--out', out]);
      const attached = await settled(reattach);
      expect(attached.code).toBe(EXIT.failed);
      const rows = readRows(out);
      // The two trials queued first succeed: the killed worker was running one of them.
      expect(rows.map((row) => [row.grid, row.status])).toEqual([
        [{ 'batch-size': '10', hidden: '4' }, 'done'],
        [{ 'batch-size': '10', hidden: '8' }, 'done'],
        [{ 'batch-size': '100', hidden: '4' }, 'failed'],
        [{ 'batch-size': '100', hidden: '8' }, 'failed'],
      ]);
      for (const row of rows.filter((candidate) => candidate.status === 'failed')) {
        await printedByAny(workers, new RegExp(`^trial ${row.id} of sweep \\w+: failed`, 'm'));
        expect(row.error).toMatch(/^sdae: --batch-size 100 is larger than the 50 training images .* \(exit code 2\)$/);
        // Not retried: one worker printed it running, then failed, and that is all.
        const lines = workers
          .map((worker) => worker.out().split(`trial ${row.id} of sweep`).length - 1)
          .reduce((sum, count) => sum + count, 0);
        expect(lines).toBe(2);
      }
      // The killed worker's trial was run again, to the end, by the other worker, with the result of a run of its own.
      const killedRow = rows.find((row) => row.id === killedTrial)!;
      expect(survivor.out()).toContain(`trial ${killedTrial} of sweep`);
      expect(killedRow.worker).toBe(/^sdae worker (\S+) /m.exec(survivor.out())![1]);
      {
        const alone = join(root, 'alone');
        const single = sdae([
          'da',
          ...TINY.filter((_, index) => index < 6 || index > 7),
          '--seed',
          '1',
          '--hidden',
          killedRow.grid['hidden']!,
          '--batch-size',
          killedRow.grid['batch-size']!,
          '--out',
          alone,
        ]);
        expect(single.code, single.err).toBe(EXIT.ok);
        expect(killedRow.metrics).toEqual({ cost: JSON.parse(readFileSync(join(alone, 'history.json'), 'utf8')).at(-1).cost });
      }
      expect(attached.err).toContain('sdae: 2 of 4 trials failed: ');
    } finally {
      await stopWorkers(workers);
    }
  });
});

// The redis-server the tests use is Debian's; this checks it is the one on the PATH.
describe('redis-server', () => {
  it('is installed (scripts/run.mjs installs it with apt-get when missing)', () => {
    expect(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout).toMatch(/^Redis server v=\d+\./);
  });
});
