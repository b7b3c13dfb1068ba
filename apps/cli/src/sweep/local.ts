import { EXIT, type Output } from '../output';
import type { SweepPlan, TrialPlan } from './plan';
import { readTrialOutcome, trialDirectory, writeTrialOutcome } from './summary';
import { SweepProgress } from './progress';
import { startTrial, type RunningTrial } from './trial-process';

/** How a sweep runs its trials on this machine. */
export interface LocalSweepOptions {
  out: string;
  /** Trials run side by side, each in its own process. */
  workers: number;
  /** Threads of each trial's native and wasm pools. */
  threads: number;
  output: Output;
}

/** A trial's grid values as the sweep prints them: `learning-rate=0.1 hidden=8`. */
export function describeTrial(trial: TrialPlan): string {
  return (
    Object.entries(trial.grid)
      .map(([axis, value]) => `${axis}=${value}`)
      .join(' ') || '(no grid)'
  );
}

/** The trials of `plan` still to run: those whose directory does not record them done. */
export async function trialsToRun(plan: SweepPlan, out: string): Promise<TrialPlan[]> {
  const outcomes = await Promise.all(plan.trials.map((trial) => readTrialOutcome(trialDirectory(out, trial.id))));
  return plan.trials.filter((_, index) => outcomes[index]?.status !== 'done');
}

/**
 * Runs the trials of `plan` not yet done, `workers` at a time, each as `sdae <command>` in its own
 * process writing into `<out>/trials/<id>/`, and records each one's outcome there. A failed trial
 * does not stop the others. The first Ctrl-C stops every running trial (each stops as its command
 * does on Ctrl-C) and starts no more; a second one kills them at once.
 *
 * @returns whether Ctrl-C stopped the sweep.
 */
export async function runTrialsLocally(plan: SweepPlan, options: LocalSweepOptions): Promise<{ interrupted: boolean }> {
  const { out, output } = options;
  const waiting = await trialsToRun(plan, out);
  const skipped = plan.trials.length - waiting.length;
  output.out(
    `sweep ${plan.id}: ${plan.trials.length} trials of sdae ${plan.command}${skipped > 0 ? `, ${skipped} done before` : ''}; ` +
      (waiting.length === 0
        ? 'nothing to run\n'
        : `${Math.min(options.workers, waiting.length)} at a time, ${options.threads} thread${options.threads === 1 ? '' : 's'} each\n`),
  );
  const progress = new SweepProgress(output);
  const running = new Set<RunningTrial>();
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) {
      for (const trial of running) trial.child.kill('SIGKILL');
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    progress.close();
    output.err('\nStopping the running trials; finished trials stay recorded. Press Ctrl-C again to kill them at once.\n');
    for (const trial of running) trial.child.kill('SIGINT');
  };
  process.on('SIGINT', onInterrupt);
  const slots = Array.from({ length: Math.max(1, Math.min(options.workers, waiting.length)) }, (_, index) => index + 1);
  try {
    await Promise.all(
      slots.map(async (slot) => {
        for (let trial = waiting.shift(); trial !== undefined && !interrupted; trial = waiting.shift()) {
          const directory = trialDirectory(out, trial.id);
          const { id } = trial;
          progress.line(`trial ${id} (${describeTrial(trial)}): running on local ${slot}`);
          progress.start(id, describeTrial(trial));
          const started = await startTrial(plan.command, trial.argv, directory, options.threads, (message) =>
            progress.progress(id, message),
          );
          running.add(started);
          // Ctrl-C while the trial's process was being started.
          if (interrupted) started.child.kill('SIGINT');
          const exit = await started.exited.finally(() => {
            running.delete(started);
            progress.end(id);
          });
          const worker = `local ${slot}`;
          const seconds = Number(exit.seconds.toFixed(2));
          if (exit.code === EXIT.ok) {
            await writeTrialOutcome(directory, { status: 'done', seconds, worker });
            progress.line(`trial ${trial.id} (${describeTrial(trial)}): done in ${seconds.toFixed(1)} s`);
          } else if (interrupted) {
            await writeTrialOutcome(directory, { status: 'interrupted', seconds, worker, error: 'stopped by Ctrl-C' });
            progress.line(`trial ${trial.id} (${describeTrial(trial)}): interrupted`);
          } else {
            await writeTrialOutcome(directory, { status: 'failed', seconds, worker, error: exit.error });
            progress.line(`trial ${trial.id} (${describeTrial(trial)}): failed: ${exit.error}`);
          }
        }
      }),
    );
  } finally {
    progress.close();
    process.removeListener('SIGINT', onInterrupt);
  }
  return { interrupted };
}
