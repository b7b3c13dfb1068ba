// Times whole jobs, process start to exit, ours against PyTorch: what a user waits for, with
// loading MNIST, building the model, compiling the native steps and writing the outputs included
// (run.mjs times steady-state steps only). Not a test: nothing fails on timing.
//
//   node src/whole-jobs.mjs [--jobs da,cnn] [--repeat 3] [--threads 2] [--python /usr/bin/python3] [--note TEXT]
//
// The jobs (ours is the `sdae` command, apps/cli/dist/main.js, on its default engine 'auto', which
// is native wherever onnxruntime-node loads, with SDAE_NATIVE_THREADS=--threads):
// - da:  `sdae da --split theano --epochs 1 --hidden 500 --corruption 0.3` (the tutorial's
//        settings: one epoch of 50,000 images, 2,500 steps of 20) against peer/workloads.py W1
//        with 2,500 steps;
// - cnn: `sdae cnn --preset notebook --iterations 3000 --split standard` (the notebook's 3,000
//        random minibatches of 100, from the 60,000 images W2 samples from) against W2 with 3,000
//        steps.
// PyTorch runs with the environment of peer.mjs (--threads threads, OMP_WAIT_POLICY=PASSIVE).
// Every job runs --repeat times, ours and PyTorch in turn (ours, PyTorch, ours, ...), and the
// table shows the medians, every run's seconds and the 1-minute load after each run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mnistDataDirectory } from '@sdae/datasets';
import { DEFAULT_PYTHON, peerEnvironment, probePeer } from './peer.mjs';
import { loadWarning, markdownTable } from './report.mjs';

const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const PEER = fileURLToPath(new URL('../peer/workloads.py', import.meta.url));
const USAGE = `usage: node src/whole-jobs.mjs [--jobs da,cnn] [--repeat 3] [--threads 2] [--python ${DEFAULT_PYTHON}] [--note TEXT]`;

/** Each job: our command's arguments (before --out) and the peer's workload and steps. */
const JOBS = {
  da: {
    title: 'dA 784-500, masking 0.3, 1 epoch of 50,000 images at batch 20 (2,500 steps), the tutorial settings',
    ours: ['da', '--split', 'theano', '--epochs', '1', '--hidden', '500', '--corruption', '0.3'],
    peer: { workload: 'W1', steps: 2500 },
  },
  cnn: {
    title: 'notebook CNN, 3,000 random minibatches of 100',
    ours: ['cnn', '--preset', 'notebook', '--iterations', '3000', '--split', 'standard'],
    peer: { workload: 'W2', steps: 3000 },
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
        repeat: { type: 'string', default: '3' },
        threads: { type: 'string', default: '2' },
        python: { type: 'string', default: DEFAULT_PYTHON },
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
  const whole = (flag, text) => {
    const value = Number(text);
    if (!(Number.isInteger(value) && value >= 1)) fail(`--${flag} must be a whole number >= 1; received '${text}'.`);
    return value;
  };
  return {
    jobs,
    repeat: whole('repeat', values.repeat),
    threads: whole('threads', values.threads),
    python: values.python,
    note: values.note,
  };
}

/** Runs one process to its end: `{ seconds, load }`, or `{ error, load }` when it failed. */
function timeProcess(command, args, env) {
  const started = performance.now();
  const child = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  const load = os.loadavg()[0];
  if (child.status !== 0) {
    const output = (child.stderr || child.stdout || String(child.error ?? `exit code ${child.status}`)).trim();
    return { error: output.split('\n').slice(-3).join(' / ').slice(0, 300), load };
  }
  return { seconds, load };
}

function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const seconds = (value) => (Number.isFinite(value) ? value.toFixed(1) : '—');
const runsText = (runs) => runs.map((run) => (run.error === undefined ? seconds(run.seconds) : 'failed')).join(', ');

const settings = parseSettings();
if (!existsSync(CLI))
  fail(`the sdae command is not built (${CLI} is missing); build it first: npx pnpm@10 exec turbo run build --filter=@sdae/cli...`);
const peerStatus = probePeer(settings.python);
if (!peerStatus.available) fail(`PyTorch is needed: ${peerStatus.reason}.`);
const loadAtStart = Number(os.loadavg()[0].toFixed(2));
const startWarning = loadWarning(loadAtStart);
if (startWarning !== undefined) console.log(startWarning);
const dataDirectory = mnistDataDirectory();
const ourEnvironment = { SDAE_NATIVE_THREADS: String(settings.threads) };
const theirEnvironment = peerEnvironment(settings.threads);
const scratch = mkdtempSync(join(os.tmpdir(), 'sdae-whole-jobs-'));
console.log(
  `jobs ${settings.jobs.join(', ')}, ${settings.repeat} run${settings.repeat === 1 ? '' : 's'} each in turn; ours: the sdae command (engine auto, ${settings.threads} native threads), PyTorch ${peerStatus.version} (${settings.threads} threads)`,
);

const rows = [];
const results = [];
try {
  for (const name of settings.jobs) {
    const job = JOBS[name];
    const plan = JSON.stringify({ stages: [{ name: 'train', steps: job.peer.steps }] });
    const ours = [];
    const theirs = [];
    for (let repeat = 0; repeat < settings.repeat; repeat += 1) {
      const out = join(scratch, `${name}-${repeat}`);
      const our = timeProcess(process.execPath, [CLI, ...job.ours, '--out', out], ourEnvironment);
      rmSync(out, { recursive: true, force: true });
      console.log(
        `  ${name} ours #${repeat + 1}: ${our.error === undefined ? `${seconds(our.seconds)} s` : `failed: ${our.error}`} (load ${our.load.toFixed(1)})`,
      );
      ours.push(our);
      const their = timeProcess(
        settings.python,
        [PEER, '--workload', job.peer.workload, '--data', dataDirectory, '--plan', plan, '--threads', String(settings.threads)],
        theirEnvironment,
      );
      console.log(
        `  ${name} PyTorch #${repeat + 1}: ${their.error === undefined ? `${seconds(their.seconds)} s` : `failed: ${their.error}`} (load ${their.load.toFixed(1)})`,
      );
      theirs.push(their);
    }
    const oursSeconds = median(ours.filter((run) => run.error === undefined).map((run) => run.seconds));
    const theirSeconds = median(theirs.filter((run) => run.error === undefined).map((run) => run.seconds));
    const ratio = oursSeconds / theirSeconds;
    const loads = [...ours, ...theirs].map((run) => run.load);
    results.push({ job: name, title: job.title, ours, pytorch: theirs, oursSeconds, pytorchSeconds: theirSeconds, ratio });
    rows.push([
      name,
      seconds(oursSeconds),
      seconds(theirSeconds),
      Number.isFinite(ratio) ? `**${ratio.toFixed(2)}**` : '—',
      runsText(ours),
      runsText(theirs),
      `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
    ]);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const text = [
  `## sdae whole jobs, ${new Date().toISOString().slice(0, 10)}`,
  '',
  `${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism?.() ?? os.cpus().length} cores; Node ${process.version}; PyTorch ${peerStatus.version} (${settings.threads} threads); ` +
    `process start to exit, median of ${settings.repeat} run${settings.repeat === 1 ? '' : 's'} taken in turn; 1-minute load average ${loadAtStart} at the start, ${os.loadavg()[0].toFixed(2)} at the end.`,
  ...(startWarning === undefined ? [] : [`**${startWarning.replace(/^warning/, 'Warning')}**`]),
  ...(settings.note === '' ? [] : [`Note: ${settings.note}`]),
  '',
  ...settings.jobs.map(
    (name) =>
      `- ${name}: ${JOBS[name].title}; PyTorch: peer/workloads.py ${JOBS[name].peer.workload}, ${JOBS[name].peer.steps.toLocaleString('en-US')} steps`,
  ),
  '',
  markdownTable(['job', 'ours s', 'PyTorch s', 'ours/PyTorch', 'ours runs (s)', 'PyTorch runs (s)', 'load after runs'], rows),
  '',
].join('\n');
console.log(`\n${text}`);
if (results.some((result) => !Number.isFinite(result.ratio))) process.exitCode = 1;
