import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Command } from 'commander';
import { SdaeError } from '@sdae/core';
import { EXIT, type Output } from '../output';
import { connectionOptions, printableUrl, requireRedis } from './redis-connection';
import {
  ACTIVE_SWEEPS,
  ID_PATTERN,
  QueueJobRefusedError,
  checkTrialJob,
  queueName,
  readSweepRecord,
  signedResult,
  sweepKey,
  type SweepRecord,
  type TrialJob,
  type TrialResult,
} from './job';
import { SWEEPABLE_COMMANDS, planSweep, type SweepPlan } from './plan';
import { SweepProgress } from './progress';
import { readTrialOutcome, writeTrialOutcome } from './summary';
import { sdaeVersion, startTrial, type RunningTrial } from './trial-process';

/** How long a worker's lock on a trial lasts unrenewed, and how often stalled trials are looked for (ms). */
function lockMilliseconds(): number {
  const value = Number(process.env['SDAE_QUEUE_LOCK_MS']);
  return Number.isSafeInteger(value) && value >= 500 ? value : 30_000;
}

/** How `sdae worker` runs. */
export interface WorkerOptions {
  url: string;
  /** Where trials write their files: `<results>/<trial-id>/`, and nowhere else. */
  results: string;
  /** Threads of each trial's pools. */
  threads: number;
  /** The secret that jobs and sweep records must be signed with (`--queue-secret`), if any. */
  secret: string | undefined;
  /** The program's commands, to plan each sweep again from its record. */
  commands: readonly Command[];
  output: Output;
}

/** The longest failure reason a worker stores in Redis: one line, its error, not the trial's output. */
const REASON_LIMIT = 300;

/** A trial's printed error as stored in Redis: one line without control characters, at most {@link REASON_LIMIT} characters. */
function storedReason(error: string | undefined): string {
  const line = [...(error ?? 'the trial failed')].map((character) => (/\p{Cc}/u.test(character) ? ' ' : character)).join('');
  return line.length <= REASON_LIMIT ? line : `${line.slice(0, REASON_LIMIT)}... (the rest in the trial's output.txt on the worker)`;
}

/** A BullMQ error as one line for the terminal: what happened to which sweep, never its stack. */
function describeQueueError(sweep: string, error: Error, results: string): string {
  const missing = /(?:Missing key for job|could not renew lock for job) (\S+?)\.? /.exec(`${error.message} `);
  if (missing !== null) {
    return `sweep ${sweep}: trial ${missing[1]}'s job is no longer held in Redis (flushed, restarted, or unreachable). The trial goes on; its files stay in ${join(results, missing[1]!)} and are used, not run again, when the sweep is submitted again.`;
  }
  return `sweep ${sweep}: ${error.message.split('\n')[0]}`;
}

/**
 * Takes the trials of every active sweep on `url` submitted by this sdae version, one at a time.
 * Each job is checked against its sweep's record, planned again with the command's parser: only
 * a trial of that plan, named by its id and grid values (and signed, with a secret), is run, as
 * `sdae <command>` in a child process writing into `<results>/<trial-id>/`; anything else fails
 * with a {@link QueueJobRefusedError} and the worker goes on. A trial already done in `results`
 * is returned as recorded, not run again. A worker that dies mid-trial stops renewing its lock:
 * after `SDAE_QUEUE_LOCK_MS` (30 s by default) another worker runs the trial again. A lost Redis
 * is reported once and waited for. Runs until Ctrl-C.
 *
 * @throws {RedisUnavailableError} when Redis cannot be used at the start.
 */
export async function runWorker(options: WorkerOptions): Promise<never> {
  const { url, output, secret } = options;
  const shown = printableUrl(url);
  const results = resolve(options.results);
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
  // Each line once until Redis comes back: BullMQ repeats its errors at every reconnection attempt.
  const reported = new Set<string>();
  const report = (line: string) => {
    if (reported.has(line)) return;
    reported.add(line);
    progress.line(`sdae worker: ${line}`);
  };
  let connected = true;
  watcher.on('error', () => undefined);
  client.on('close', () => {
    if (!connected) return;
    connected = false;
    report(`lost the connection to ${shown}; waiting for it to come back (a running trial goes on)`);
  });
  client.on('ready', () => {
    if (connected) return;
    connected = true;
    reported.clear();
    progress.line(`sdae worker: ${shown} is back; taking trials again`);
  });
  const plans = new Map<string, { text: string; plan: SweepPlan }>();
  /** The plan of sweep `id` from its record as it is now, planned again when the record changed. */
  const loadPlan = async (id: string): Promise<SweepPlan> => {
    const text = await client.get(sweepKey(id));
    const cached = plans.get(id);
    if (cached !== undefined && cached.text === text) return cached.plan;
    const record = readSweepRecord(id, text, secret);
    const refuse = (what: string) => new QueueJobRefusedError(id, `sweep ${id}: ${what}; its trials are refused.`);
    if (record.version !== version) {
      throw refuse(
        `it was submitted by sdae ${record.version.slice(0, 40)}, this worker is sdae ${version}; run the same sdae version on every machine`,
      );
    }
    const command = options.commands.find((candidate) => candidate.name() === record.command);
    if (command === undefined || !(SWEEPABLE_COMMANDS as readonly string[]).includes(record.command)) {
      throw refuse(`its record names sdae ${record.command.slice(0, 40)}, which cannot be swept`);
    }
    let plan: SweepPlan;
    try {
      plan = await planSweep(command, record.grid, record.fixed);
    } catch (error) {
      throw refuse(
        `its record does not plan as a sweep of sdae ${record.command} (${(error instanceof Error ? error.message.split('\n')[0]! : String(error)).replace(/\.$/, '')})`,
      );
    }
    if (plan.id !== id) throw refuse(`its record plans sweep ${plan.id}, not ${id}`);
    plans.set(id, { text: text!, plan });
    return plan;
  };
  let stopping = false;
  // One trial at a time, whichever sweep it belongs to.
  let idle: Promise<void> = Promise.resolve();
  const processTrial = async (sweep: string, job: Job<TrialJob, TrialResult>): Promise<TrialResult> => {
    const plan = await loadPlan(sweep);
    const trial = checkTrialJob(sweep, plan, job.id, job.data, secret);
    const directory = join(results, trial.id);
    const done = await readTrialOutcome(directory);
    if (done?.status === 'done') {
      const history = JSON.parse(await readFile(join(directory, 'history.json'), 'utf8')) as unknown;
      progress.line(`trial ${trial.id} of sweep ${sweep}: done before in ${directory}, not run again`);
      return signedResult(sweep, trial.id, { worker: done.worker, seconds: done.seconds, directory, history }, secret);
    }
    await job.updateProgress({ worker: name });
    progress.line(`trial ${trial.id} of sweep ${sweep}: running`);
    progress.start(trial.id, `sweep ${sweep}`);
    const started = await startTrial(plan.command, trial.argv, directory, options.threads, (message) =>
      progress.progress(trial.id, message),
    );
    running.add(started);
    const exit = await started.exited.finally(() => {
      running.delete(started);
      progress.end(trial.id);
    });
    // Stopped with the worker: leave the trial to the stalled-job check, as if this worker had died.
    if (stopping) await new Promise(() => {});
    const seconds = Number(exit.seconds.toFixed(2));
    if (exit.code !== EXIT.ok) {
      const reason = storedReason(exit.error);
      await writeTrialOutcome(directory, { status: 'failed', seconds, worker: name, error: reason });
      progress.line(`trial ${trial.id} of sweep ${sweep}: failed: ${reason}`);
      throw new UnrecoverableError(reason);
    }
    await writeTrialOutcome(directory, { status: 'done', seconds, worker: name });
    progress.line(`trial ${trial.id} of sweep ${sweep}: done in ${seconds.toFixed(1)} s`);
    const history = JSON.parse(await readFile(join(directory, 'history.json'), 'utf8')) as unknown;
    return signedResult(sweep, trial.id, { worker: name, seconds, directory, history }, secret);
  };
  const processor = (sweep: string) => (job: Job<TrialJob, TrialResult>) => {
    const result = idle
      .then(() => processTrial(sweep, job))
      .catch((error: unknown) => {
        // A refused job or record, or another named error: that job fails with it, not retried, and the worker goes on.
        if (!SdaeError.isInstance(error)) throw error;
        progress.line(`sdae worker: ${error.message}`);
        throw new UnrecoverableError(error.message);
      });
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
  output.out(`sdae worker ${name} (sdae ${version}) on ${shown}: waiting for trials; Ctrl-C stops\n`);
  for (; ; await new Promise((wake) => setTimeout(wake, 1000))) {
    let active: Set<string>;
    try {
      active = new Set(Object.keys(await client.hgetall(ACTIVE_SWEEPS)));
    } catch (error) {
      report(`cannot read the active sweeps (${ACTIVE_SWEEPS}) on ${shown}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    for (const id of active) {
      if (workers.has(id) || refused.has(id)) continue;
      if (!ID_PATTERN.test(id)) {
        refused.add(id);
        report(`refusing the active sweep ${JSON.stringify(id.slice(0, 80))}: a sweep id is 12 hex digits`);
        continue;
      }
      const text = await client.get(sweepKey(id));
      if (text === null) continue;
      let record: SweepRecord | undefined;
      try {
        record = readSweepRecord(id, text, secret);
      } catch (error) {
        // A malformed record: its jobs are taken and failed with the error, so that the sweep ends.
        report(error instanceof Error ? error.message : String(error));
      }
      if (record !== undefined && record.version !== version) {
        refused.add(id);
        output.err(
          `sdae worker: refusing sweep ${id}: it was submitted by sdae ${record.version.slice(0, 40)}, this worker is sdae ${version}; run the same sdae version on every machine.\n`,
        );
        continue;
      }
      if (record !== undefined) output.out(`sweep ${id}: taking its trials (sdae ${record.command.slice(0, 40)})\n`);
      const worker = new Worker<TrialJob, TrialResult>(queueName(id), processor(id), {
        connection: connectionOptions(url),
        concurrency: 1,
        lockDuration: lock,
        stalledInterval: lock,
        maxStalledCount: 2,
        name,
      });
      worker.on('error', (error) => {
        // While Redis is away, the lost connection has been reported once.
        if (!connected && /ECONNREFUSED|ECONNRESET|Connection is closed/.test(error.message)) return;
        report(describeQueueError(id, error, results));
      });
      workers.set(id, worker);
    }
    for (const [id, worker] of workers) {
      if (active.has(id)) continue;
      workers.delete(id);
      plans.delete(id);
      await worker.close();
    }
  }
}
