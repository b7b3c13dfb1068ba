// Times whole jobs, process start to exit, ours against PyTorch: what a user waits for, with
// loading MNIST, building the model, compiling the native steps and writing the outputs included
// (run.mjs times steady-state steps only). Not a test: nothing fails on timing.
//
//   node src/whole-jobs.mjs [--jobs da,cnn,lenet] [--repeat 5] [--threads 2] [--python P]... [--peers debian,wheel] [--peer-variants default,pinned,passive]
//                           [--quick] [--note TEXT]
//
// The jobs (ours is the `sdae` command, apps/cli/dist/main.js, on its default engine 'auto', which
// is native wherever onnxruntime-node loads, with SDAE_NATIVE_THREADS at 1 and at --threads):
// - da:    `sdae da --split theano --epochs 1 --hidden 500 --corruption 0.3` (the tutorial's
//          settings: one epoch of 50,000 images, 2,500 steps of 20);
// - cnn:   `sdae cnn --preset notebook --iterations 3000 --split standard` (the notebook's 3,000
//          random minibatches of 100 of the 60,000 images);
// - lenet: `sdae cnn --preset lenet --epochs 1 --split theano` (1,000 shuffled minibatches of 50,
//          Adam, the validation and test accuracy after the epoch).
// Each against two PyTorch scripts in every configuration peer.mjs finds (Debian's torch, the
// pip wheel, each --python; 1 and --threads threads; the thread-pool variants): the bench's own
// peer/workloads.py (W1, W2, LENET with the job's steps) and a plain tutorial-style script
// (peer/tutorial_da.py: the Theano tutorial's dA line by line; tutorial_cnn.py; tutorial_lenet.py).
// Every configuration runs --repeat times (5 by default), all in turn, ours and PyTorch
// alternating; the table gives each one's best and median seconds and ours against the fastest
// PyTorch configuration, best to best and median to median. --quick: 2 rounds of a tenth of each
// job, the `passive` variant only: a check that the bench works, not a measurement.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mnistDataDirectory } from '@sdae/datasets';
import { comparisonTable, interleave, runRounds, statistics } from './compare.mjs';
import { PEER_KINDS, PEER_VARIANT_NAMES, findPeers, peerConfigurations } from './peer.mjs';
import { loadWarning } from './report.mjs';

const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const PEER_FOLDER = fileURLToPath(new URL('../peer/', import.meta.url));
const USAGE = `usage: node src/whole-jobs.mjs [--jobs da,cnn,lenet] [--repeat 5] [--threads 2] [--python P]... [--peers ${PEER_KINDS.join(',')}] [--peer-variants ${PEER_VARIANT_NAMES.join(',')}] [--quick] [--note TEXT]`;

/**
 * Each job at full size and at --quick's size: our command's arguments (before --out), the
 * workload peer's workload and steps, the tutorial script and its arguments.
 */
const JOBS = {
  da: {
    title: 'dA 784-500, masking 0.3, 1 epoch of 50,000 images at batch 20 (2,500 steps), the tutorial settings',
    ours: (quick) => [
      'da',
      '--split',
      'theano',
      '--epochs',
      '1',
      '--hidden',
      '500',
      '--corruption',
      '0.3',
      ...(quick ? ['--limit', '5000'] : []),
    ],
    peer: (quick) => ({ workload: 'W1', steps: quick ? 250 : 2500 }),
    tutorial: (quick) => ['tutorial_da.py', '--limit', quick ? '5000' : '50000'],
  },
  cnn: {
    title: 'notebook CNN, 3,000 random minibatches of 100',
    ours: (quick) => ['cnn', '--preset', 'notebook', '--iterations', quick ? '300' : '3000', '--split', 'standard'],
    peer: (quick) => ({ workload: 'W2', steps: quick ? 300 : 3000 }),
    tutorial: (quick) => ['tutorial_cnn.py', '--iterations', quick ? '300' : '3000'],
  },
  lenet: {
    title: 'LeNet preset, 1 epoch of 50,000 images at batch 50 (1,000 steps), Adam, validation and test accuracy',
    ours: (quick) => ['cnn', '--preset', 'lenet', '--epochs', '1', '--split', 'theano', ...(quick ? ['--limit', '5000'] : [])],
    peer: (quick) => ({ workload: 'LENET', steps: quick ? 100 : 1000 }),
    tutorial: (quick) => ['tutorial_lenet.py', '--limit', quick ? '5000' : '50000'],
  },
};
const JOB_NAMES = Object.keys(JOBS);

function fail(message) {
  console.error(`whole-jobs: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseSettings() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        jobs: { type: 'string', default: JOB_NAMES.join(',') },
        repeat: { type: 'string' },
        threads: { type: 'string', default: '2' },
        python: { type: 'string', multiple: true, default: [] },
        peers: { type: 'string', default: PEER_KINDS.join(',') },
        'peer-variants': { type: 'string' },
        quick: { type: 'boolean', default: false },
        note: { type: 'string', default: '' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(error.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const jobs = values.jobs.split(',').map((name) => name.trim().toLowerCase());
  const unknown = jobs.find((name) => !(name in JOBS));
  if (unknown !== undefined) fail(`--jobs: unknown job '${unknown}'; expected some of ${JOB_NAMES.join(', ')}, comma-separated.`);
  const variants = (values['peer-variants'] ?? (values.quick ? 'passive' : PEER_VARIANT_NAMES.join(',')))
    .split(',')
    .map((name) => name.trim());
  const unknownVariant = variants.find((name) => !PEER_VARIANT_NAMES.includes(name));
  if (unknownVariant !== undefined)
    fail(`--peer-variants: unknown variant '${unknownVariant}'; expected some of ${PEER_VARIANT_NAMES.join(', ')}, comma-separated.`);
  const whole = (flag, text) => {
    const value = Number(text);
    if (!(Number.isInteger(value) && value >= 1)) fail(`--${flag} must be a whole number >= 1; received '${text}'.`);
    return value;
  };
  return {
    jobs,
    repeat: whole('repeat', values.repeat ?? (values.quick ? '2' : '5')),
    threads: whole('threads', values.threads),
    pythons: values.python,
    peers: values.peers.split(',').map((name) => name.trim()),
    variants,
    quick: values.quick,
    note: values.note,
  };
}

/** Runs one process to its end: `{ seconds }`, or `{ error }` when it failed. */
function timeProcess(command, args, env) {
  const started = performance.now();
  const child = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) {
    const output = (child.stderr || child.stdout || String(child.error ?? `exit code ${child.status}`)).trim();
    return { error: output.split('\n').slice(-3).join(' / ').slice(0, 300) };
  }
  return { seconds };
}

const settings = parseSettings();
if (!existsSync(CLI))
  fail(`the sdae command is not built (${CLI} is missing); build it first: npx -y pnpm@10.34.8 exec turbo run build --filter=@sdae/cli...`);
const loadAtStart = Number(os.loadavg()[0].toFixed(2));
console.log(`1-minute load average at the start: ${loadAtStart}`);
const startWarning = loadWarning(loadAtStart);
if (startWarning !== undefined) console.log(startWarning);
const peers = findPeers(settings.pythons, settings.peers);
for (const line of peers.skipped) console.log(`skipped ${line}.`);
if (peers.installs.length === 0) fail('PyTorch is needed: none of the interpreters imports torch.');
const threadCounts = [...new Set([1, settings.threads])];
const peerConfigs = peerConfigurations(peers.installs, threadCounts, settings.variants);
const dataDirectory = mnistDataDirectory();
const scratch = mkdtempSync(join(os.tmpdir(), 'sdae-whole-jobs-'));
console.log(
  `jobs ${settings.jobs.join(', ')}${settings.quick ? ' (--quick sizes)' : ''}, ${settings.repeat} rounds; ours: the sdae command (engine auto) on ${threadCounts.join(' and ')} native threads; ` +
    `${peerConfigs.length} PyTorch configurations, each with the workload peer and the tutorial script`,
);

const sections = [];
const results = [];
try {
  for (const name of settings.jobs) {
    const job = JOBS[name];
    let runIndex = 0;
    const ours = threadCounts.map((threads) => ({
      key: `sdae|${threads}`,
      label: `sdae ${name} (native, ${threads} thread${threads === 1 ? '' : 's'})`,
      side: 'ours',
      run: () => {
        const out = join(scratch, `${name}-${(runIndex += 1)}`);
        const env = { ...process.env, SDAE_NATIVE_THREADS: String(threads) };
        const result = timeProcess(process.execPath, [CLI, ...job.ours(settings.quick), '--out', out], env);
        rmSync(out, { recursive: true, force: true });
        return result;
      },
    }));
    const { workload, steps } = job.peer(settings.quick);
    const plan = JSON.stringify({ stages: [{ name: 'train', steps }] });
    const theirs = peerConfigs.flatMap((configuration) => {
      const python = configuration.install.python;
      const threads = String(configuration.threads);
      return [
        {
          key: `${configuration.key}|workloads`,
          label: `workloads.py ${workload}: ${configuration.label}`,
          side: 'peer',
          run: () =>
            timeProcess(
              python,
              [join(PEER_FOLDER, 'workloads.py'), '--workload', workload, '--data', dataDirectory, '--plan', plan, '--threads', threads],
              configuration.env,
            ),
        },
        {
          key: `${configuration.key}|tutorial`,
          label: `${job.tutorial(settings.quick)[0]}: ${configuration.label}`,
          side: 'peer',
          run: () => {
            const [script, ...args] = job.tutorial(settings.quick);
            return timeProcess(
              python,
              [join(PEER_FOLDER, script), ...args, '--data', dataDirectory, '--threads', threads],
              configuration.env,
            );
          },
        },
      ];
    });
    const collected = runRounds(interleave(ours, theirs), settings.repeat, (configuration, result, round) =>
      console.log(
        `  ${name} #${round + 1} ${configuration.label}: ${result.error === undefined ? `${result.seconds.toFixed(2)} s` : `failed: ${result.error}`} (load ${result.loadAverage.toFixed(1)})`,
      ),
    );
    const stats = statistics(collected, (result) => (result.error === undefined ? result.seconds : Number.NaN));
    results.push({
      job: name,
      title: job.title,
      stats,
      runs: collected.map(({ configuration, results: runs }) => ({ label: configuration.label, runs })),
    });
    sections.push(
      comparisonTable(`${name}: ${job.title}; seconds from process start to exit:`, stats, { unit: 's', digits: 2 }).join('\n'),
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const text = [
  `## sdae whole jobs, ${new Date().toISOString().slice(0, 10)}`,
  '',
  `${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism?.() ?? os.cpus().length} cores; Node ${process.version}; PyTorch: ` +
    `${peers.installs.map((install) => `${install.name} with ${install.blas}`).join(', ')}; process start to exit, every configuration run ${settings.repeat} times, all in turn ` +
    `(ours and PyTorch alternating); **1-minute load average ${loadAtStart} at the start**, ${os.loadavg()[0].toFixed(2)} at the end.`,
  ...(settings.quick ? ['**--quick: a tenth of each job, a check that the bench works, not a measurement.**'] : []),
  ...(startWarning === undefined ? [] : [`**${startWarning.replace(/^warning/, 'Warning')}**`]),
  ...(settings.note === '' ? [] : [`Note: ${settings.note}`]),
  '',
  sections.join('\n\n'),
  '',
].join('\n');
console.log(`\n${text}`);
if (results.some((result) => result.stats.some((stat) => stat.values.length === 0))) process.exitCode = 1;
