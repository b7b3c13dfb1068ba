import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { InvalidArgumentError, SdaeError, parseDecimal } from '@sdae/core';
import {
  addCommand,
  daHiddenSize,
  daTrainingFlags,
  engineFlags,
  experimentFlags,
  flag,
  distinctList,
  positiveInteger,
  positiveNumber,
  queueFlag,
  queueSecretFlag,
  readFlags,
  refuseInapplicable,
  type FlagValues,
} from '../flags';
import { flagName } from '../run/controls';
import { lockOutDirectory } from '../run/out-lock';
import { RunInterrupted, type Output } from '../output';
import { runTrialsLocally } from '../sweep/local';
import { SWEEPABLE_COMMANDS, parseGridAxis, planSweep, type GridAxis, type SweepPlan } from '../sweep/plan';
import { importSweepQueue } from '../optional-dependency';
import { writeSweepSummary, type TrialRow } from '../sweep/summary';
import { requireRedis } from '../sweep/redis-connection';
import { requireWritable } from '../writable';

/** The flags of the sweep itself, before or after the command it sweeps. */
const SWEEP_FLAGS = {
  grid: flag<GridAxis[] | undefined>(() =>
    new Option(
      '--grid <NAME=V1,V2,...>',
      'a flag of the command and its values; repeat for more axes (trials: every combination)',
    ).argParser((text: string, previous: GridAxis[] | undefined) => [...(previous ?? []), parseGridAxis(text)]),
  ),
  workers: flag<number | undefined>(() =>
    new Option('--workers <n>', 'trials run side by side (default: the cores divided by the threads of a trial)').argParser(
      positiveInteger,
    ),
  ),
  queue: queueFlag,
  queueSecret: queueSecretFlag,
  attach: flag<string | undefined>(
    () => new Option('--attach <sweep-id>', 'follow a sweep submitted to --queue earlier and write its summary when it finishes'),
  ),
};

/** Where the sweep writes (before or after the command). */
const OUT_FLAG = { out: experimentFlags('runs/sweep').out };

const FLAGS = {
  learningRates: flag<number[] | undefined>(() =>
    new Option('--learning-rates <rates>', 'shorthand: sweep da over these learning rates').argParser(distinctList(positiveNumber)),
  ),
  hiddenSizes: flag<number[] | undefined>(() =>
    new Option('--hidden-sizes <sizes>', 'shorthand: sweep da over these hidden sizes (instead of learning rates)')
      .argParser(distinctList(daHiddenSize('--hidden-sizes')))
      .conflicts('learningRates'),
  ),
  ...daTrainingFlags({ epochs: 5 }),
  ...experimentFlags('runs/sweep'),
  ...engineFlags,
  ...SWEEP_FLAGS,
};

/** The flags of `sdae sweep`. */
export type SweepFlags = FlagValues<typeof FLAGS>;

/** The shorthand flags, in `sdae da`'s terms: every dA flag given, and the sweep's 5 epochs. */
const SHORTHAND_FLAGS = [
  'hidden',
  'corruption',
  'learningRate',
  'batchSize',
  'backend',
  'seed',
  'split',
  'limit',
  'engine',
  'threads',
  'device',
] as const;

/** `sdae sweep --learning-rates ...` / `--hidden-sizes ...` as the grid of `sdae da` it stands for. */
function shorthandGrid(flags: SweepFlags, command: Command): { axes: GridAxis[]; fixed: string[] } {
  const axes: GridAxis[] =
    flags.hiddenSizes !== undefined
      ? [{ name: 'hidden', values: flags.hiddenSizes.map(String) }]
      : [{ name: 'learning-rate', values: (flags.learningRates ?? [0.01, 0.05, 0.1]).map(String) }];
  const fixed = ['--epochs', String(flags.epochs)];
  for (const name of SHORTHAND_FLAGS) {
    if (command.getOptionValueSource(name) === 'cli') fixed.push(flagName(name), String(flags[name]));
  }
  // Each trial's output goes to its output.txt: --json makes those JSON lines.
  if (flags.json) fixed.push('--json');
  return { axes, fixed };
}

/**
 * The sweep's own flags given after the command (`sdae sweep da --grid ... --epochs 2`), read with
 * their parsers, and the command's flags, left in their order.
 */
async function splitSweepFlags(
  rest: readonly string[],
): Promise<{ values: FlagValues<typeof SWEEP_FLAGS & typeof OUT_FLAG>; fixed: string[] }> {
  const flags = { ...SWEEP_FLAGS, ...OUT_FLAG };
  const reader = new Command('sweep').exitOverride().allowUnknownOption().allowExcessArguments().helpOption(false);
  for (const declared of Object.values(flags)) reader.addOption(declared.option().default(undefined));
  await reader.parseAsync([...rest], { from: 'user' });
  return { values: readFlags(reader.opts(), flags), fixed: reader.args };
}

/** The trials side by side and the threads of each: the cores shared out, at least one of each. */
function localParallelism(plan: SweepPlan, workers: number | undefined): { workers: number; threads: number } {
  const cores = availableParallelism();
  const fromEnvironment = parseDecimal(process.env['SDAE_NATIVE_THREADS'] ?? '');
  const threads =
    plan.threads ??
    (workers !== undefined
      ? Math.max(1, Math.floor(cores / workers))
      : Number.isSafeInteger(fromEnvironment) && fromEnvironment > 0
        ? fromEnvironment
        : 1);
  return { workers: workers ?? Math.max(1, Math.floor(cores / threads)), threads };
}

/** Prints the sweep's rows and fails (exit 1) when a trial failed. */
function reportRows(rows: readonly TrialRow[], out: string, output: Output): void {
  output.out(`Sweep: ${resolve(out, 'sweep.json')}\nReport: ${resolve(out, 'report.html')}\n`);
  const failed = rows.filter((row) => row.status === 'failed');
  if (failed.length > 0) {
    throw new SdaeError(
      `${failed.length} of ${rows.length} trials failed: ${failed.map((row) => `${row.id}: ${row.error}`).join('; ')}. ` +
        'The others are recorded in sweep.json; run the sweep again to retry the failed ones.',
    );
  }
}

/**
 * `sdae sweep <command> --grid NAME=V1,V2 ...`: every combination of the grid's values, each a run
 * of the command into `<out>/trials/<trial-id>/`, on this machine (`--workers` at a time) or on
 * the workers of a BullMQ queue (`--queue`), then sweep.json and report.html in --out.
 */
export async function sweepCommand(flags: SweepFlags, command: Command, output: Output): Promise<void> {
  const [target, rest = []] = command.processedArgs as [string | undefined, string[] | undefined];
  if (flags.attach !== undefined) {
    if (flags.queue === undefined)
      throw new InvalidArgumentError('--attach', flags.attach, '--attach needs the --queue the sweep was submitted to.');
    const out = command.getOptionValueSource('out') === 'cli' ? flags.out : undefined;
    const { attachSweep } = await importSweepQueue('sdae sweep --attach');
    const commands = command.parent!.commands;
    const attached = await attachSweep(flags.attach, { url: flags.queue, out, output, secret: flags.queueSecret, commands });
    reportRows(attached, out ?? flags.out, output);
    return;
  }
  let axes: GridAxis[];
  let fixed: string[];
  let sweep = { grid: flags.grid, workers: flags.workers, queue: flags.queue, out: flags.out, secret: flags.queueSecret };
  if (target === undefined) {
    if (flags.grid !== undefined)
      throw new InvalidArgumentError('--grid', '--grid', '--grid needs the command to sweep: sdae sweep da --grid learning-rate=0.05,0.1.');
    ({ axes, fixed } = shorthandGrid(flags, command));
  } else {
    if (!(SWEEPABLE_COMMANDS as readonly string[]).includes(target)) {
      command.error(`error: sdae sweep ${target}: expected one of ${SWEEPABLE_COMMANDS.join(', ')}.`, {
        code: 'commander.invalidArgument',
        exitCode: 2,
      });
    }
    const given = Object.keys(FLAGS).filter(
      (name) => !(name in SWEEP_FLAGS) && name !== 'out' && command.getOptionValueSource(name) === 'cli',
    );
    if (given.length > 0) {
      throw new InvalidArgumentError(
        flagName(given[0]!),
        flagName(given[0]!),
        `${given.map(flagName).join(', ')} before ${target}: flags of the swept command come after it (sdae sweep ${target} --grid ... ${flagName(given[0]!)} ...).`,
      );
    }
    const split = await splitSweepFlags(rest);
    fixed = split.fixed;
    sweep = {
      grid: [...(flags.grid ?? []), ...(split.values.grid ?? [])],
      workers: split.values.workers ?? flags.workers,
      queue: split.values.queue ?? flags.queue,
      out: split.values.out ?? flags.out,
      secret: split.values.queueSecret ?? flags.queueSecret,
    };
    axes = sweep.grid ?? [];
  }
  const swept = command.parent!.commands.find((candidate) => candidate.name() === (target ?? 'da'))!;
  const plan = await planSweep(swept, axes, fixed);
  // A Redis that cannot be used is refused before --out is made.
  if (sweep.queue !== undefined) await requireRedis(sweep.queue);
  await requireWritable([{ flag: '--out', path: sweep.out, kind: 'directory' }]);
  const out = resolve(sweep.out);
  lockOutDirectory(out, output.commandLine ?? [], await mkdir(out, { recursive: true }));
  if (sweep.queue !== undefined) {
    const { submitSweep } = await importSweepQueue('sdae sweep --queue');
    reportRows(await submitSweep(plan, { url: sweep.queue, out, output, secret: sweep.secret }), out, output);
    return;
  }
  const { interrupted } = await runTrialsLocally(plan, { out, ...localParallelism(plan, sweep.workers), output });
  const rows = await writeSweepSummary(out, plan);
  if (interrupted) {
    const finished = rows.filter((row) => row.status === 'done').length;
    output.out(
      `Interrupted: ${finished} of ${rows.length} trials done and recorded in ${resolve(out, 'sweep.json')}; run the sweep again to run the rest.\n`,
    );
    throw new RunInterrupted(undefined);
  }
  reportRows(rows, out, output);
}

/** Adds `sdae sweep` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'sweep',
    'run an experiment over a grid of flag values (sdae sweep da --grid learning-rate=0.05,0.1), on local workers or a BullMQ queue; writes sweep.json and report.html',
    FLAGS,
    (flags, command) => sweepCommand(flags, command, output),
    (flags, command) => {
      const sweepingSizes = flags.hiddenSizes !== undefined;
      refuseInapplicable(
        command,
        '--hidden',
        !sweepingSizes,
        "does not apply with --hidden-sizes, which sets each run's hidden size; drop --hidden.",
      );
      refuseInapplicable(
        command,
        '--learning-rate',
        sweepingSizes,
        "does not apply to a learning-rate sweep, where --learning-rates sets each run's rate; drop --learning-rate, or sweep --hidden-sizes.",
      );
    },
  )
    .argument(
      '[command]',
      `the experiment to sweep: ${SWEEPABLE_COMMANDS.join(', ')} (default: da, with --learning-rates or --hidden-sizes)`,
    )
    .argument('[flags...]', "the command's flags, --grid axes and the sweep's flags")
    .passThroughOptions();
}
