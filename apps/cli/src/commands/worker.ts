import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { InvalidArgumentError } from '@sdae/core';
import { addCommand, engineFlags, flag, queueFlag, queueSecretFlag, type FlagValues } from '../flags';
import type { Output } from '../output';
import { importSweepWorker } from '../optional-dependency';

const FLAGS = {
  queue: queueFlag,
  queueSecret: queueSecretFlag,
  results: flag<string>(() =>
    new Option(
      '--results <dir>',
      "where the trials write their files, <dir>/<trial-id>/ (a directory the submitter's --out/trials may share)",
    ).default('runs/worker'),
  ),
  threads: engineFlags.threads,
  device: engineFlags.device,
};

/** The flags of `sdae worker`. */
export type WorkerFlags = FlagValues<typeof FLAGS>;

/** `sdae worker --queue redis://...`: runs the trials that `sdae sweep --queue` puts on Redis, until Ctrl-C. */
export async function workerCommand(flags: WorkerFlags, command: Command, output: Output): Promise<void> {
  if (flags.queue === undefined) {
    throw new InvalidArgumentError(
      '--queue',
      undefined,
      '--queue is required: the Redis of the sweeps, such as --queue redis://127.0.0.1:6379/0.',
    );
  }
  // The trials are child processes: they read the device from the environment, as they read threads.
  if (flags.device !== undefined) process.env.SDAE_DEVICE = flags.device;
  const { runWorker } = await importSweepWorker('sdae worker');
  await runWorker({
    url: flags.queue,
    results: flags.results,
    threads: flags.threads ?? availableParallelism(),
    secret: flags.queueSecret,
    commands: command.parent!.commands,
    output,
  });
}

/** Adds `sdae worker` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'worker',
    'run the trials of sweeps submitted with sdae sweep --queue, one at a time, each in its own process, until Ctrl-C',
    FLAGS,
    (flags, command) => workerCommand(flags, command, output),
  );
}
