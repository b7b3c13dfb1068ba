import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as registerDa } from '../commands/da';
import { EXIT } from '../output';
import { connectionOptions } from './redis-connection';
import { ACTIVE_SWEEPS, queueName, sweepKey, sweepRecord, trialJob } from './job';
import { planSweep, type SweepPlan } from './plan';
import type { TrialRow } from './summary';
import { sdae, startSdae, type StartedCli } from '../test-cli';
import { redisCli, startRedis, type TestRedis } from './test-redis';
import { sdaeVersion } from './trial-process';

// Hostile jobs and records put straight into a real redis-server through BullMQ, Redis flushed and
// restarted under a running sweep, and Redis URLs with users, passwords, databases and IPv6 hosts,
// against real `sdae worker` and `sdae sweep` processes.

const TINY = ['--split', 'mini', '--limit', '50', '--epochs', '2', '--batch-size', '10', '--backend', 'cpu', '--engine', 'tfjs'];
const WORKER_ENV = { SDAE_QUEUE_LOCK_MS: '1500' };
const SECRET = 'a-queue-secret-of-32-characters!';

let root: string;
let redis: TestRedis;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-queue-faults-'));
  redis = await startRedis(join(root, 'redis'));
});

afterAll(async () => {
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** `sdae da` as a sweep sees it: a program holding only that command. */
function daCommand(): Command {
  const program = new Command('sdae').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerDa(program, { out: () => {}, err: () => {} });
  return program.commands[0]!;
}

function readRows(out: string): TrialRow[] {
  return (JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { trials: TrialRow[] }).trials;
}

/** Stops a worker (Ctrl-C) and expects it to end as interrupted. */
async function stopWorker(worker: StartedCli): Promise<void> {
  worker.child.kill('SIGINT');
  expect((await worker.exited).code).toBe(EXIT.interrupted);
}

/** A queue that {@link inject} put jobs on, and where its events stream stood before it did. */
interface Injected {
  queue: Queue;
  /** The id of the stream's last event before the jobs were added ('0-0' when it had none). */
  since: string;
}

/** A sweep's record and jobs written straight into Redis, as anyone who can reach it could. */
async function inject(url: string, sweep: string, record: string | undefined, jobs: [string, unknown][]): Promise<Injected> {
  const queue = new Queue(queueName(sweep), { connection: connectionOptions(url) });
  const client = await queue.client;
  if (record !== undefined) await client.set(sweepKey(sweep), record);
  const { host, port } = connectionOptions(url);
  const since = redisCli(port, ['XREVRANGE', queue.keys.events, '+', '-', 'COUNT', '1'], host).trim().split('\n')[0] || '0-0';
  for (const [jobId, data] of jobs) await queue.add('trial', data, { jobId, attempts: 1, removeOnFail: false });
  await client.hset(ACTIVE_SWEEPS, { [sweep]: sdaeVersion() });
  return { queue, since };
}

/**
 * The reason each of `ids` failed with, once the worker has failed it: waiting on the queue's
 * events read from where the stream stood before the jobs were added, so that none is missed
 * however soon the worker fails a job. (From its default, the stream's end, a QueueEvents reads
 * only once its connection is set up, after `waitUntilReady()`: a failure between
 * `waitUntilFinished`'s look at the job and that first read was never seen, and the test waited
 * until its timeout.)
 */
async function failedReasons({ queue, since }: Injected, ids: readonly string[]): Promise<string[]> {
  const events = new QueueEvents(queue.name, { connection: queue.opts.connection, lastEventId: since });
  await events.waitUntilReady();
  try {
    return await Promise.all(
      ids.map(async (id) => {
        const job = await queue.getJob(id);
        await expect(job!.waitUntilFinished(events)).rejects.toThrow();
        return (await queue.getJob(id))!.failedReason;
      }),
    );
  } finally {
    await events.close();
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('sdae worker and hostile queue content (real Redis, real processes)', { timeout: 180_000 }, () => {
  it('refuses path-like ids, flags from jobs, trials outside the plan and malformed records, writes only under --results, and finishes the real trials', async () => {
    const results = join(root, 'hostile', 'results');
    const out = join(root, 'hostile', 'sweep');
    const evil = join(root, 'evil');
    const plan = await planSweep(daCommand(), [{ name: 'hidden', values: ['4', '8'] }], TINY);
    const [t4, t8] = plan.trials as [SweepPlan['trials'][0], SweepPlan['trials'][0]];
    const worker = startSdae(['worker', '--queue', redis.url, '--results', results], { env: WORKER_ENV });
    await worker.printed(/waiting for trials/);
    const relative = '../../evil-relative';
    const hostileJobs: [string, unknown][] = [
      [relative, { sweep: plan.id, trial: relative, grid: { hidden: '4' } }],
      [join(evil, 'absolute'), { sweep: plan.id, trial: join(evil, 'absolute'), grid: { hidden: '4' } }],
      [
        t8.id,
        {
          sweep: plan.id,
          trial: t8.id,
          grid: { hidden: '8' },
          version: sdaeVersion(),
          command: 'da',
          argv: ['--checkpoint', join(evil, 'checkpoint.sdae'), '--out', evil],
        },
      ],
      [t4.id, { sweep: plan.id, trial: t4.id, grid: { hidden: '4', resume: '/etc/passwd' } }],
      ['aaaaaaaaaaaa', { sweep: plan.id, trial: 'aaaaaaaaaaaa', grid: { hidden: '4' } }],
    ];
    const hostile = await inject(redis.url, plan.id, JSON.stringify(sweepRecord(plan, sdaeVersion(), out, undefined)), hostileJobs);
    // Malformed and hostile records of other sweeps, each with a job.
    const job = (sweep: string): [string, unknown][] => [['dddddddddddd', { sweep, trial: 'dddddddddddd', grid: {} }]];
    const broken = {
      c0ffee000001: 'null',
      c0ffee000002: '{"version": "0.0.0", "plan": ',
      c0ffee000003: JSON.stringify({ version: sdaeVersion(), out, command: 'da', grid: [], fixed: ['--checkpoint', join(evil, 'x.sdae')] }),
      c0ffee000004: JSON.stringify({ version: sdaeVersion(), out, command: 'da', grid: [], fixed: ['--out', evil] }),
    };
    const brokenQueues = await Promise.all(Object.entries(broken).map(([id, text]) => inject(redis.url, id, text, job(id))));
    await (await hostile.queue.client).hset(ACTIVE_SWEEPS, { '../x': '0.0.0' });
    try {
      const refusal = (id: string) => new RegExp(`^sdae worker: sweep ${plan.id}: refused queued job ${escape(JSON.stringify(id))}: `, 'm');
      for (const [id] of hostileJobs) await worker.printed(refusal(id));
      for (const id of Object.keys(broken)) await worker.printed(new RegExp(`^sdae worker: sweep ${id}: its record`, 'm'));
      await worker.printed(/^sdae worker: refusing the active sweep "\.\.\/x": a sweep id is 12 hex digits$/m);
      const reasons = await failedReasons(
        hostile,
        hostileJobs.map(([id]) => id),
      );
      expect(reasons).toEqual([
        `sweep ${plan.id}: refused queued job ${JSON.stringify(relative)}: its trial id is not 12 hex digits equal to its job id.`,
        `sweep ${plan.id}: refused queued job ${JSON.stringify(join(evil, 'absolute'))}: its trial id is not 12 hex digits equal to its job id.`,
        `sweep ${plan.id}: refused queued job "${t8.id}": it carries version, command, argv, which a job does not (its flags come from the sweep's plan).`,
        `sweep ${plan.id}: refused queued job "${t4.id}": its grid values are not those of trial ${t4.id} (flags outside the sweep's grid are never run).`,
        `sweep ${plan.id}: refused queued job "aaaaaaaaaaaa": trial aaaaaaaaaaaa is not one of the sweep's 2 trials.`,
      ]);
      const brokenReasons = await Promise.all(brokenQueues.map((brokenQueue) => failedReasons(brokenQueue, ['dddddddddddd'])));
      expect(brokenReasons.flat()).toEqual([
        'sweep c0ffee000001: its record in Redis (sdae:sweep:c0ffee000001) is null, not an object; its trials are refused. Submit the sweep again with sdae sweep --queue.',
        'sweep c0ffee000002: its record in Redis (sdae:sweep:c0ffee000002) is not valid JSON (29 characters); its trials are refused. Submit the sweep again with sdae sweep --queue.',
        expect.stringMatching(
          /^sweep c0ffee000003: its record does not plan as a sweep of sdae da \(--checkpoint does not apply to a sweep: /,
        ),
        expect.stringMatching(
          /^sweep c0ffee000004: its record does not plan as a sweep of sdae da \(--out among the flags of the swept command: /,
        ),
      ]);
      // The worker goes on: the real sweep queues its two trials again and they run.
      const submitted = await startSdae(['sweep', 'da', '--grid', 'hidden=4,8', ...TINY, '--queue', redis.url, '--out', out]).exited;
      expect(submitted.code, submitted.err).toBe(EXIT.ok);
      expect(readRows(out).map((row) => [row.id, row.status])).toEqual([
        [t4.id, 'done'],
        [t8.id, 'done'],
      ]);
      for (const trial of [t4, t8]) await worker.printed(new RegExp(`^trial ${trial.id} of sweep ${plan.id}: done in`, 'm'));
      expect(worker.out()).not.toContain('internal error');
    } finally {
      await stopWorker(worker);
      await Promise.all([hostile, ...brokenQueues].map(({ queue }) => queue.close()));
    }
    // Files only under --results, by trial id, and nothing anywhere a job named.
    expect(readdirSync(results).sort()).toEqual([t4.id, t8.id].sort());
    expect(existsSync(evil)).toBe(false);
    expect(existsSync(resolve(results, relative))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['hostile', 'redis']);
  });

  it('with --queue-secret, refuses an unsigned sweep and an unsigned job, and runs the signed sweep', async () => {
    const results = join(root, 'signed', 'results');
    const out = join(root, 'signed', 'sweep');
    const worker = startSdae(['worker', '--queue', redis.url, '--results', results], {
      env: { ...WORKER_ENV, SDAE_QUEUE_SECRET: SECRET },
    });
    await worker.printed(/waiting for trials/);
    const grid = ['--grid', 'hidden=5,6', ...TINY];
    try {
      const unsigned = await startSdae(['sweep', 'da', ...grid, '--queue', redis.url, '--out', out]).exited;
      expect(unsigned.code).toBe(EXIT.failed);
      expect(unsigned.err).toMatch(
        /^sdae: 2 of 2 trials failed: \w{12}: sweep \w{12}: its record in Redis \(sdae:sweep:\w{12}\) is not signed, and this worker has a --queue-secret; /,
      );
      // A signed record, and a job without a signature put beside it.
      const plan = await planSweep(daCommand(), [{ name: 'hidden', values: ['5', '6'] }], TINY);
      const record = JSON.stringify(sweepRecord(plan, sdaeVersion(), out, SECRET));
      const bare = trialJob(plan.id, plan.trials[0]!, undefined);
      const injected = await (async () => {
        const opened = new Queue(queueName(plan.id), { connection: connectionOptions(redis.url) });
        await (await opened.getJob(plan.trials[0]!.id))?.remove();
        await opened.close();
        return inject(redis.url, plan.id, record, [[plan.trials[0]!.id, bare]]);
      })();
      expect(await failedReasons(injected, [plan.trials[0]!.id])).toEqual([
        `sweep ${plan.id}: refused queued job "${plan.trials[0]!.id}": it is not signed, and this worker has a --queue-secret.`,
      ]);
      await injected.queue.close();
      const signed = await startSdae(['sweep', 'da', ...grid, '--queue', redis.url, '--out', out], { env: { SDAE_QUEUE_SECRET: SECRET } })
        .exited;
      expect(signed.code, signed.err).toBe(EXIT.ok);
      expect(readRows(out).map((row) => row.status)).toEqual(['done', 'done']);
      expect(worker.out()).not.toContain(SECRET);
    } finally {
      await stopWorker(worker);
    }
  });
});

describe('a queued sweep when Redis is flushed or restarted under it (real Redis, real processes)', { timeout: 240_000 }, () => {
  const LONGER = [...TINY.slice(0, 4), '--epochs', '6', ...TINY.slice(6)];
  const grid = ['--grid', 'hidden=4,8', ...LONGER];
  const runningLine = /^trial (\w+) of sweep (\w+): running$/m;
  const doneLines = (worker: StartedCli, trial: string) =>
    worker
      .out()
      .split('\n')
      .filter((line) => line.startsWith(`trial ${trial} of sweep `) && line.includes(': done in ')).length;

  it('reports a flush as the loss of the named sweep, and the sweep submitted again runs no trial twice to completion', async () => {
    const flushed = await startRedis(join(root, 'redis-flush'));
    const results = join(root, 'flush', 'results');
    const out = join(root, 'flush', 'sweep');
    const worker = startSdae(['worker', '--queue', flushed.url, '--results', results], { env: WORKER_ENV });
    try {
      await worker.printed(/waiting for trials/);
      const submitter = startSdae(['sweep', 'da', ...grid, '--queue', flushed.url, '--out', out]);
      await worker.printed(runningLine);
      const [, running, sweep] = runningLine.exec(worker.out())!;
      redisCli(flushed.port, ['FLUSHALL']);
      const lost = await submitter.exited;
      expect(lost.code).toBe(EXIT.failed);
      expect(lost.err).toMatch(
        new RegExp(
          `^sdae: sweep ${sweep}: (its record|the job of trial \\w+) is gone on ${escape(flushed.url)} \\(the Redis was flushed, or restarted without its data\\); 2 of its 2 trials are not recorded done\\. Run the same sdae sweep command again`,
        ),
      );
      expect(lost.err.trim().split('\n')).toHaveLength(1);
      // The trial went on in its process; its job was gone when it ended.
      await worker.printed(new RegExp(`^trial ${running} of sweep ${sweep}: done in`, 'm'));
      const again = await startSdae(['sweep', 'da', ...grid, '--queue', flushed.url, '--out', out]).exited;
      expect(again.code, again.err).toBe(EXIT.ok);
      expect(readRows(out).map((row) => row.status)).toEqual(['done', 'done']);
      await worker.printed(new RegExp(`^trial ${running} of sweep ${sweep}: done before in `, 'm'));
      for (const row of readRows(out)) expect(doneLines(worker, row.id)).toBe(1);
    } finally {
      await stopWorker(worker);
      await flushed.stop();
    }
    expect(worker.out() + (await worker.exited).err).not.toMatch(/\n\s+at |internal error/);
  });

  it('reports a restart as a lost connection naming the sweep; the worker waits for Redis, and the sweep submitted again finishes', async () => {
    const directory = join(root, 'redis-restart');
    const first = await startRedis(directory);
    const results = join(root, 'restart', 'results');
    const out = join(root, 'restart', 'sweep');
    const worker = startSdae(['worker', '--queue', first.url, '--results', results], { env: WORKER_ENV });
    let second: TestRedis | undefined;
    try {
      await worker.printed(/waiting for trials/);
      const submitter = startSdae(['sweep', 'da', ...grid, '--queue', first.url, '--out', out]);
      await worker.printed(runningLine);
      const [, running, sweep] = runningLine.exec(worker.out())!;
      await first.stop();
      const lost = await submitter.exited;
      expect(lost.code).toBe(EXIT.failed);
      expect(lost.err).toBe(
        `sdae: lost the connection to ${first.url} while following sweep ${sweep}. Its trials go on on the workers; once Redis is back, follow it again with: sdae sweep --attach ${sweep} --queue ${first.url} --out ${out}\n`,
      );
      await worker.printed(new RegExp(`^sdae worker: lost the connection to ${escape(first.url)}; waiting for it to come back`, 'm'));
      second = await startRedis(directory, { port: first.port });
      await worker.printed(/^sdae worker: redis:\/\/\S+ is back; taking trials again$/m);
      await worker.printed(new RegExp(`^trial ${running} of sweep ${sweep}: done in`, 'm'));
      const again = await startSdae(['sweep', 'da', ...grid, '--queue', first.url, '--out', out]).exited;
      expect(again.code, again.err).toBe(EXIT.ok);
      expect(readRows(out).map((row) => row.status)).toEqual(['done', 'done']);
      for (const row of readRows(out)) expect(doneLines(worker, row.id)).toBe(1);
    } finally {
      await stopWorker(worker);
      await second?.stop();
    }
    expect(worker.out() + (await worker.exited).err).not.toMatch(/\n\s+at |internal error/);
  });
});

describe('Redis URLs (real Redis with a password and a user, on IPv4 and IPv6)', { timeout: 120_000 }, () => {
  const PASSWORD = 'pass:word@1';
  const ENCODED = encodeURIComponent(PASSWORD);
  let secured: TestRedis;
  beforeAll(async () => {
    secured = await startRedis(join(root, 'redis-auth'), {
      extra: ['--bind', '127.0.0.1', '::1', '--requirepass', PASSWORD, '--user', 'alice', 'on', '>alice-pw', '~*', '&*', '+@all'],
      ready: (port) => `redis://:${ENCODED}@127.0.0.1:${port}/0`,
    });
  });
  afterAll(async () => secured?.stop());

  it.each([
    [
      'no password',
      (port: number) => `redis://127.0.0.1:${port}/0`,
      (port: number) => `redis://127.0.0.1:${port}/0: it requires a password (NOAUTH)`,
    ],
    [
      'a wrong password',
      (port: number) => `redis://:wrong@127.0.0.1:${port}/0`,
      (port: number) => `redis://:***@127.0.0.1:${port}/0: it refused the password (WRONGPASS)`,
    ],
    [
      'a wrong user',
      (port: number) => `redis://bob:alice-pw@127.0.0.1:${port}/2`,
      (port: number) => `redis://bob:***@127.0.0.1:${port}/2: it refused the user bob or the password (WRONGPASS)`,
    ],
    [
      'database 999',
      (port: number) => `redis://alice:alice-pw@[::1]:${port}/999`,
      (port: number) => `redis://alice:***@[::1]:${port}/999: it has no database 999 (ERR DB index is out of range)`,
    ],
  ])('refuses %s by name, exit 1, without printing the password', (_case, url, message) => {
    for (const argv of [['worker'], ['sweep', 'da', '--grid', 'hidden=4', '--out', join(root, 'never')]]) {
      const result = sdae([...argv, '--queue', url(secured.port)]);
      expect(result.err).toMatch(new RegExp(`^sdae: cannot use ${escape(message(secured.port))}\\. \\w[^\\n]*\\.\\n$`));
      expect(result.code).toBe(EXIT.failed);
      expect(result.err).not.toMatch(/alice-pw|wrong@/);
    }
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('runs a trial with a user on [::1] and a password on 127.0.0.1, both in database 3, printing neither password', async () => {
    const results = join(root, 'auth', 'results');
    const out = join(root, 'auth', 'sweep');
    const worker = startSdae(['worker', '--queue', `redis://alice:alice-pw@[::1]:${secured.port}/3`, '--results', results], {
      env: WORKER_ENV,
    });
    try {
      await worker.printed(new RegExp(`on redis://alice:\\*\\*\\*@\\[::1\\]:${secured.port}/3: waiting for trials`));
      const submitted = await startSdae([
        'sweep',
        'da',
        '--grid',
        'hidden=4',
        ...TINY,
        '--queue',
        `redis://:${ENCODED}@127.0.0.1:${secured.port}/3`,
        '--out',
        out,
      ]).exited;
      expect(submitted.code, submitted.err).toBe(EXIT.ok);
      expect(submitted.out).toContain(`on redis://:***@127.0.0.1:${secured.port}/3 (queue sdae-sweep-`);
      expect(submitted.out + submitted.err).not.toContain(PASSWORD);
      expect(readRows(out).map((row) => row.status)).toEqual(['done']);
      const keys = (database: number) =>
        redisCli(secured.port, ['-a', PASSWORD, '--no-auth-warning', '-n', String(database), 'keys', 'sdae:*']).trim();
      expect(keys(3)).toMatch(/^sdae:sweep:\w{12}$/m);
      expect(keys(0)).toBe('');
    } finally {
      await stopWorker(worker);
    }
    expect(worker.out()).not.toContain('alice-pw');
  });
});
