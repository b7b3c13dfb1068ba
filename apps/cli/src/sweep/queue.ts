import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Queue, type Job } from 'bullmq';
import type { Command } from 'commander';
import { SdaeError } from '@sdae/core';
import { EXIT, RunInterrupted, type Output } from '../output';
import { RedisUnavailableError, connectionOptions, printableUrl, requireRedis } from './redis-connection';
import { describeTrial, trialsToRun } from './local';
import {
  ACTIVE_SWEEPS,
  SweepLostError,
  queueName,
  readSweepRecord,
  resultProblem,
  sweepKey,
  sweepRecord,
  trialJob,
  type TrialJob,
  type TrialResult,
} from './job';
import { planSweep, type SweepPlan } from './plan';
import { trialDirectory, writeSweepSummary, writeTrialOutcome, type TrialRow } from './summary';
import { sdaeVersion } from './trial-process';

// A sweep on a queue: the submitter stores the sweep's record (its command, grid and fixed flags)
// under `sdae:sweep:<id>`, adds its id to the hash `sdae:active` and one BullMQ job per trial (job
// id = trial id, so a trial is queued once however often the sweep is submitted) to the queue
// `sdae-sweep-<id>`. A job holds only the trial's id and grid values (job.ts); workers
// (worker.ts) plan the sweep again from its record and run only the trials of that plan.
// The submitter (or `--attach`) polls the jobs and writes the summary.

/** How a sweep is submitted to, or followed on, a queue. */
export interface QueueOptions {
  url: string;
  output: Output;
  /** The secret jobs, records and results are signed with (`--queue-secret`), if any. */
  secret: string | undefined;
}

/**
 * Runs `follow` while watching `queue`'s connection: a connection that closes or fails rejects at
 * once with a {@link RedisUnavailableError} naming the sweep (BullMQ would wait for Redis
 * forever), and the queue is then disconnected rather than closed, which would wait too.
 */
async function watchingConnection<T>(queue: Queue, shown: string, sweep: string, resume: string, follow: () => Promise<T>): Promise<T> {
  const client = await queue.client;
  let lose: (error: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => (lose = reject));
  const onLost = () =>
    lose(
      new RedisUnavailableError(
        shown,
        `lost the connection to ${shown} while following sweep ${sweep}. Its trials go on on the workers; once Redis is back, follow it again with: ${resume}`,
        sweep,
      ),
    );
  client.on('close', onLost);
  queue.on('error', onLost);
  const following = follow();
  try {
    return await Promise.race([following, lost]);
  } catch (error) {
    if (RedisUnavailableError.isInstance(error)) following.catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('close', onLost);
    queue.removeListener('error', onLost);
  }
}

/** A BullMQ queue of sweep `id` at `url`, whose connection errors are left to {@link watchingConnection}. */
function openQueue(id: string, url: string): Queue<TrialJob, TrialResult> {
  const queue = new Queue<TrialJob, TrialResult>(queueName(id), { connection: connectionOptions(url) });
  // Without a listener BullMQ prints each reconnection attempt's error with its stack.
  queue.on('error', () => undefined);
  return queue;
}

/** Closes `queue`, or drops its connection at once where Redis is gone (closing would wait for it). */
async function closeQueue(queue: Queue, error: unknown): Promise<void> {
  if (RedisUnavailableError.isInstance(error)) (await queue.client).disconnect();
  else await queue.close();
}

/** What following a sweep needs. */
interface FollowOptions extends QueueOptions {
  out: string;
  /** The command that follows the sweep again after a Ctrl-C or a lost connection. */
  resume: string;
}

/** Polls the trials of `plan` on its queue until each is done or failed, recording each in `out` as it ends. */
async function followSweep(queue: Queue<TrialJob, TrialResult>, plan: SweepPlan, options: FollowOptions): Promise<TrialRow[]> {
  const { out, output, secret } = options;
  const shown = printableUrl(options.url);
  const client = await queue.client;
  const remaining = new Set((await trialsToRun(plan, out)).map((trial) => trial.id));
  const running = new Map<string, string>();
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
  };
  const lostSweep = (what: string) =>
    new SweepLostError(
      plan.id,
      `sweep ${plan.id}: ${what} on ${shown} (the Redis was flushed, or restarted without its data); ${remaining.size} of its ${plan.trials.length} trials are not recorded done. ` +
        `Run the same sdae sweep command again: the finished trials are kept in ${out} and the others are queued again.`,
    );
  process.on('SIGINT', onInterrupt);
  try {
    output.out(
      `sweep ${plan.id}: ${plan.trials.length} trials of sdae ${plan.command} on ${shown} (queue ${queueName(plan.id)}), ${remaining.size} to run\n`,
    );
    while (remaining.size > 0 && !interrupted) {
      if ((await client.get(sweepKey(plan.id))) === null) throw lostSweep('its record is gone');
      for (const trial of plan.trials.filter((candidate) => remaining.has(candidate.id))) {
        let job = (await queue.getJob(trial.id)) as Job<TrialJob, TrialResult> | undefined;
        if (job === undefined) throw lostSweep(`the job of trial ${trial.id} is gone`);
        const state = await job.getState();
        // A job that completed between the read and the state query holds no return value in
        // the copy read before: read it again (completion is final) before judging its result.
        if (state === 'completed' && (job.returnvalue === null || job.returnvalue === undefined)) {
          job = ((await queue.getJob(trial.id)) as Job<TrialJob, TrialResult> | undefined) ?? job;
        }
        const directory = trialDirectory(out, trial.id);
        const problem = state === 'completed' ? resultProblem(plan.id, trial.id, job.returnvalue, secret) : undefined;
        if (state === 'completed' && problem === undefined) {
          const result = job.returnvalue;
          if (resolve(result.directory) !== resolve(directory)) {
            await mkdir(directory, { recursive: true });
            await writeFile(join(directory, 'history.json'), `${JSON.stringify(result.history, null, 2)}\n`);
          }
          await writeTrialOutcome(directory, { status: 'done', seconds: result.seconds, worker: result.worker });
          output.out(`trial ${trial.id} (${describeTrial(trial)}): done on ${result.worker} in ${result.seconds.toFixed(1)} s\n`);
          remaining.delete(trial.id);
        } else if (state === 'failed' || problem !== undefined) {
          const worker = (job.progress as { worker?: string } | undefined)?.worker ?? 'unknown';
          const error = problem ?? job.failedReason;
          await writeTrialOutcome(directory, { status: 'failed', seconds: 0, worker, error });
          output.out(`trial ${trial.id} (${describeTrial(trial)}): failed on ${worker}: ${error}\n`);
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
    output.out(`Detached from sweep ${plan.id}: its trials go on on the workers. Re-attach with:\n  ${options.resume}\n`);
    throw new RunInterrupted(undefined);
  }
  await client.hdel(ACTIVE_SWEEPS, plan.id);
  return rows;
}

/** The command that follows sweep `id` again: `sdae sweep --attach <id> --queue <url> --out <out>` (the password hidden). */
function attachCommand(id: string, url: string, out: string): string {
  return `sdae sweep --attach ${id} --queue ${printableUrl(url)} --out ${out}`;
}

/**
 * Puts the trials of `plan` not yet done in `out` on the queue of the sweep at `url` (a trial
 * queued before is not queued again; one that failed before, or whose job does not hold what
 * this sweep would queue, is queued anew), then follows them as the workers run them and writes
 * sweep.json and report.html into `out` when all have ended. Ctrl-C detaches: the trials go on,
 * and `sdae sweep --attach <id>` follows them again. With `secret`, the record and the jobs are
 * signed and only signed results are recorded.
 *
 * @throws {RedisUnavailableError} when Redis cannot be used, or goes away while the sweep is followed.
 * @throws {SweepLostError} when the sweep's record or jobs vanish from Redis while it is followed.
 */
export async function submitSweep(plan: SweepPlan, options: QueueOptions & { out: string }): Promise<TrialRow[]> {
  const { url, out, secret } = options;
  await requireRedis(url);
  const queue = openQueue(plan.id, url);
  let failure: unknown;
  try {
    const resume = attachCommand(plan.id, url, out);
    return await watchingConnection(queue, printableUrl(url), plan.id, resume, async () => {
      const client = await queue.client;
      const version = sdaeVersion();
      await client.set(sweepKey(plan.id), JSON.stringify(sweepRecord(plan, version, out, secret)));
      for (const trial of await trialsToRun(plan, out)) {
        const data = trialJob(plan.id, trial, secret);
        const existing = await queue.getJob(trial.id);
        if (existing !== undefined) {
          const state = await existing.getState();
          const same = JSON.stringify(existing.data) === JSON.stringify(data);
          if (state !== 'failed' && (same || state === 'active')) continue;
          await existing.remove();
        }
        await queue.add('trial', data, { jobId: trial.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
      }
      await client.hset(ACTIVE_SWEEPS, { [plan.id]: version });
      return await followSweep(queue, plan, { ...options, resume });
    });
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await closeQueue(queue, failure);
  }
}

/**
 * Follows a sweep submitted earlier to `url` until its trials have ended, then writes its summary
 * into `out` (by default the --out it was submitted with). `commands` are the program's commands,
 * to plan the sweep again from its record.
 *
 * @throws {SdaeError} when Redis holds no sweep with that id.
 * @throws {QueueJobRefusedError} when the sweep's record is malformed (or unsigned, with `secret`).
 * @throws {RedisUnavailableError} when Redis cannot be used, or goes away while the sweep is followed.
 */
export async function attachSweep(
  id: string,
  options: QueueOptions & { out: string | undefined; commands: readonly Command[] },
): Promise<TrialRow[]> {
  const { url, secret } = options;
  await requireRedis(url);
  const queue = openQueue(id, url);
  let failure: unknown;
  try {
    const text = await (await queue.client).get(sweepKey(id));
    if (text === null) {
      throw new SdaeError(
        `--attach ${id}: ${printableUrl(url)} holds no sweep ${id}. Check the id (sdae sweep prints it first) and --queue; after a flush or a restart of Redis, run the sweep's command again.`,
      );
    }
    const record = readSweepRecord(id, text, secret);
    const command = options.commands.find((candidate) => candidate.name() === record.command);
    if (command === undefined) throw new SdaeError(`--attach ${id}: the sweep runs sdae ${record.command}, which this sdae does not have.`);
    const plan = await planSweep(command, record.grid, record.fixed);
    const out = resolve(options.out ?? record.out);
    const resume = attachCommand(id, url, out);
    return await watchingConnection(queue, printableUrl(url), id, resume, () => followSweep(queue, plan, { ...options, out, resume }));
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await closeQueue(queue, failure);
  }
}
