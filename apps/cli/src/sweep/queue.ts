import { createConnection } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { SdaeError } from '@sdae/core';
import { EXIT, RunInterrupted, type Output } from '../output';
import { describeTrial, trialsToRun } from './local';
import { SWEEPABLE_COMMANDS, type SweepPlan } from './plan';
import { trialDirectory, writeSweepSummary, writeTrialOutcome, type TrialRow } from './summary';
import { SweepProgress } from './progress';
import { sdaeVersion, startTrial, type RunningTrial } from './trial-process';

// A sweep on a queue: the submitter stores the sweep's plan under `sdae:sweep:<id>`, adds its id
// to the hash `sdae:active` and one BullMQ job per trial (job id = trial id, so a trial is queued
// once however often the sweep is submitted) to the queue `sdae-sweep-<id>`. Workers watch
// `sdae:active`, take the jobs of each sweep of their own sdae version, and return each trial's
// outcome and history; the submitter (or `--attach`) polls the jobs and writes the summary.

const ACTIVE_SWEEPS = 'sdae:active';
const sweepKey = (id: string) => `sdae:sweep:${id}`;
const queueName = (id: string) => `sdae-sweep-${id}`;

/** How long a worker's lock on a trial lasts unrenewed, and how often stalled trials are looked for (ms). */
function lockMilliseconds(): number {
  const value = Number(process.env['SDAE_QUEUE_LOCK_MS']);
  return Number.isSafeInteger(value) && value >= 500 ? value : 30_000;
}

/** What a queued trial carries. */
interface TrialJob {
  sweep: string;
  version: string;
  command: string;
  trial: string;
  argv: string[];
}

/** What a worker returns for a finished trial. */
interface TrialResult {
  worker: string;
  seconds: number;
  /** Where the worker wrote the trial's files (on the worker's machine). */
  directory: string;
  history: unknown;
}

/** A sweep as stored in Redis, for workers and for `--attach`. */
interface StoredSweep {
  version: string;
  out: string;
  plan: SweepPlan;
}

/** BullMQ's connection options for `url` (`redis://host:port/db`, as the --queue parser returns it). */
function connectionOptions(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port), db: Number(parsed.pathname.slice(1)), maxRetriesPerRequest: null };
}

/**
 * Checks that a Redis server answers at `url` (a PING within 3 s), so that an unreachable one
 * fails at once instead of BullMQ retrying forever.
 *
 * @throws {SdaeError} `cannot reach redis://...`, with the reason and what to do.
 */
export async function requireRedis(url: string): Promise<void> {
  const { host, port } = connectionOptions(url);
  const reason = await new Promise<string | undefined>((settle) => {
    const socket = createConnection({ host, port });
    const finish = (result: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      settle(result);
    };
    const timer = setTimeout(() => finish('no answer within 3 s'), 3000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) =>
      finish(/^(\+PONG|-NOAUTH)/.test(data.toString()) ? undefined : `it answered ${JSON.stringify(data.toString().trim())} to PING`),
    );
    socket.on('error', (error) => finish(error.message));
  });
  if (reason !== undefined) {
    throw new SdaeError(`cannot reach ${url}: ${reason}. Start redis-server there (or pass the --queue of a running one), then run again.`);
  }
}

/** Polls the trials of `plan` on its queue until each is done or failed, recording each in `out` as it ends. */
async function followSweep(queue: Queue, plan: SweepPlan, url: string, out: string, output: Output): Promise<TrialRow[]> {
  const remaining = new Set((await trialsToRun(plan, out)).map((trial) => trial.id));
  const running = new Map<string, string>();
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
  };
  process.on('SIGINT', onInterrupt);
  try {
    output.out(
      `sweep ${plan.id}: ${plan.trials.length} trials of sdae ${plan.command} on ${url} (queue ${queueName(plan.id)}), ${remaining.size} to run\n`,
    );
    while (remaining.size > 0 && !interrupted) {
      for (const trial of plan.trials.filter((candidate) => remaining.has(candidate.id))) {
        const job = (await queue.getJob(trial.id)) as Job<TrialJob, TrialResult> | undefined;
        if (job === undefined) continue;
        const state = await job.getState();
        const directory = trialDirectory(out, trial.id);
        if (state === 'completed') {
          const result = job.returnvalue;
          if (resolve(result.directory) !== resolve(directory)) {
            await mkdir(directory, { recursive: true });
            await writeFile(join(directory, 'history.json'), `${JSON.stringify(result.history, null, 2)}\n`);
          }
          await writeTrialOutcome(directory, { status: 'done', seconds: result.seconds, worker: result.worker });
          output.out(`trial ${trial.id} (${describeTrial(trial)}): done on ${result.worker} in ${result.seconds.toFixed(1)} s\n`);
          remaining.delete(trial.id);
        } else if (state === 'failed') {
          const worker = (job.progress as { worker?: string } | undefined)?.worker ?? 'unknown';
          await writeTrialOutcome(directory, { status: 'failed', seconds: 0, worker, error: job.failedReason });
          output.out(`trial ${trial.id} (${describeTrial(trial)}): failed on ${worker}: ${job.failedReason}\n`);
          remaining.delete(trial.id);
        } else if (state === 'active') {
          const worker = (job.progress as { worker?: string } | undefined)?.worker;
          if (worker !== undefined && running.get(trial.id) !== worker) {
            running.set(trial.id, worker);
            output.out(`trial ${trial.id} (${describeTrial(trial)}): running on ${worker}\n`);
          }
        }
      }
      if (remaining.size > 0) await new Promise((wake) => setTimeout(wake, 300));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  const rows = await writeSweepSummary(out, plan);
  if (interrupted) {
    output.out(
      `Detached from sweep ${plan.id}: its trials go on on the workers. Re-attach with:\n  sdae sweep --attach ${plan.id} --queue ${url} --out ${out}\n`,
    );
    throw new RunInterrupted(undefined);
  }
  await (await queue.client).hdel(ACTIVE_SWEEPS, plan.id);
  return rows;
}

/**
 * Puts the trials of `plan` not yet done in `out` on the queue of the sweep at `url` (a trial
 * queued before is not queued again; one that failed before is retried), then follows them as
 * the workers run them and writes sweep.json and report.html into `out` when all have ended.
 * Ctrl-C detaches: the trials go on, and `sdae sweep --attach <id>` follows them again.
 *
 * @throws {SdaeError} when Redis cannot be reached.
 */
export async function submitSweep(plan: SweepPlan, options: { url: string; out: string; output: Output }): Promise<TrialRow[]> {
  const { url, out, output } = options;
  await requireRedis(url);
  const queue = new Queue<TrialJob, TrialResult>(queueName(plan.id), { connection: connectionOptions(url) });
  try {
    const client = await queue.client;
    const stored: StoredSweep = { version: sdaeVersion(), out, plan };
    await client.set(sweepKey(plan.id), JSON.stringify(stored));
    for (const trial of await trialsToRun(plan, out)) {
      const existing = await queue.getJob(trial.id);
      if (existing !== undefined) {
        if ((await existing.getState()) === 'failed') await existing.retry('failed');
        continue;
      }
      const data: TrialJob = { sweep: plan.id, version: stored.version, command: plan.command, trial: trial.id, argv: trial.argv };
      await queue.add('trial', data, { jobId: trial.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
    }
    await client.hset(ACTIVE_SWEEPS, { [plan.id]: stored.version });
    return await followSweep(queue, plan, url, out, output);
  } finally {
    await queue.close();
  }
}

/**
 * Follows a sweep submitted earlier to `url` until its trials have ended, then writes its summary
 * into `out` (by default the --out it was submitted with).
 *
 * @throws {SdaeError} when Redis cannot be reached or holds no sweep with that id.
 */
export async function attachSweep(id: string, options: { url: string; out: string | undefined; output: Output }): Promise<TrialRow[]> {
  const { url, output } = options;
  await requireRedis(url);
  const queue = new Queue<TrialJob, TrialResult>(queueName(id), { connection: connectionOptions(url) });
  try {
    const text = await (await queue.client).get(sweepKey(id));
    if (text === null)
      throw new SdaeError(`--attach ${id}: ${url} holds no sweep ${id}. Check the id (sdae sweep prints it first) and --queue.`);
    const stored = JSON.parse(text) as StoredSweep;
    return await followSweep(queue, stored.plan, url, resolve(options.out ?? stored.out), output);
  } finally {
    await queue.close();
  }
}

/** How `sdae worker` runs. */
export interface WorkerOptions {
  url: string;
  /** Where trials write their files: `<results>/<trial-id>/`. */
  results: string;
  /** Threads of each trial's pools. */
  threads: number;
  output: Output;
}

/**
 * Takes the trials of every active sweep on `url` submitted by this sdae version, one at a time,
 * each run as `sdae <command>` in a child process (so the worker keeps renewing its lock however
 * long a step runs), and returns its outcome and history; a trial whose command fails is failed
 * with its error, not retried. A worker that dies mid-trial stops renewing its lock: after
 * `SDAE_QUEUE_LOCK_MS` (30 s by default) another worker runs the trial again. Runs until Ctrl-C.
 *
 * @throws {SdaeError} when Redis cannot be reached.
 */
export async function runWorker(options: WorkerOptions): Promise<never> {
  const { url, output } = options;
  await requireRedis(url);
  const name = `${hostname()}:${process.pid}`;
  const version = sdaeVersion();
  const lock = lockMilliseconds();
  const watcher = new Queue('sdae-watch', { connection: connectionOptions(url) });
  const client = await watcher.client;
  const workers = new Map<string, Worker<TrialJob, TrialResult>>();
  const refused = new Set<string>();
  const running = new Set<RunningTrial>();
  const progress = new SweepProgress(output);
  let stopping = false;
  // One trial at a time, whichever sweep it belongs to.
  let idle: Promise<void> = Promise.resolve();
  const processTrial = async (job: Job<TrialJob, TrialResult>): Promise<TrialResult> => {
    const { sweep, trial, command, argv } = job.data;
    if (job.data.version !== version) {
      throw new UnrecoverableError(
        `worker ${name} runs sdae ${version}, but sweep ${sweep} was submitted by sdae ${job.data.version}; run the same sdae version on every machine.`,
      );
    }
    if (!(SWEEPABLE_COMMANDS as readonly string[]).includes(command))
      throw new UnrecoverableError(`worker ${name}: sdae ${command} cannot be swept.`);
    await job.updateProgress({ worker: name });
    progress.line(`trial ${trial} of sweep ${sweep}: running`);
    progress.start(trial, `sweep ${sweep}`);
    const directory = resolve(options.results, trial);
    const started = await startTrial(command, argv, directory, options.threads, (message) => progress.progress(trial, message));
    running.add(started);
    const exit = await started.exited.finally(() => {
      running.delete(started);
      progress.end(trial);
    });
    // Stopped with the worker: leave the trial to the stalled-job check, as if this worker had died.
    if (stopping) await new Promise(() => {});
    const seconds = Number(exit.seconds.toFixed(2));
    if (exit.code !== EXIT.ok) {
      await writeTrialOutcome(directory, { status: 'failed', seconds, worker: name, error: exit.error });
      progress.line(`trial ${trial} of sweep ${sweep}: failed: ${exit.error}`);
      throw new UnrecoverableError(exit.error);
    }
    await writeTrialOutcome(directory, { status: 'done', seconds, worker: name });
    progress.line(`trial ${trial} of sweep ${sweep}: done in ${seconds.toFixed(1)} s`);
    const history = JSON.parse(await readFile(join(directory, 'history.json'), 'utf8')) as unknown;
    return { worker: name, seconds, directory, history };
  };
  const processor = (job: Job<TrialJob, TrialResult>) => {
    const result = idle.then(() => processTrial(job));
    idle = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
  const onInterrupt = () => {
    stopping = true;
    for (const trial of running) trial.child.kill('SIGKILL');
    void Promise.all([...workers.values()].map((worker) => worker.close(true))).finally(() => process.exit(EXIT.interrupted));
  };
  process.on('SIGINT', onInterrupt);
  output.out(`sdae worker ${name} (sdae ${version}) on ${url}: waiting for trials; Ctrl-C stops\n`);
  for (;;) {
    const active = new Set(Object.keys(await client.hgetall(ACTIVE_SWEEPS)));
    for (const id of active) {
      if (workers.has(id) || refused.has(id)) continue;
      const text = await client.get(sweepKey(id));
      if (text === null) continue;
      const stored = JSON.parse(text) as StoredSweep;
      if (stored.version !== version) {
        refused.add(id);
        output.err(
          `sdae worker: refusing sweep ${id}: it was submitted by sdae ${stored.version}, this worker is sdae ${version}; run the same sdae version on every machine.\n`,
        );
        continue;
      }
      output.out(`sweep ${id}: taking its trials (sdae ${stored.plan.command})\n`);
      workers.set(
        id,
        new Worker<TrialJob, TrialResult>(queueName(id), processor, {
          connection: connectionOptions(url),
          concurrency: 1,
          lockDuration: lock,
          stalledInterval: lock,
          maxStalledCount: 2,
          name,
        }),
      );
    }
    for (const [id, worker] of workers) {
      if (active.has(id)) continue;
      workers.delete(id);
      await worker.close();
    }
    await new Promise((wake) => setTimeout(wake, 1000));
  }
}
