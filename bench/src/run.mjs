// The benchmark (not a test): runs each workload on the native engine (onnxruntime-node) and on
// every tfjs backend that starts in Node, the latter with the sdae kernels and, where sdae's
// kernels make a difference, with the stock tfjs kernels, and the same workloads in PyTorch;
// prints a table, the ratios against the targets, and writes it all as JSON. Each run is its own
// process, so peak RSS is per run (process maxRSS: wasm's memory and onnxruntime's included).
//
//   pnpm bench                                    (at the root: every package's bench, this one included)
//   node src/run.mjs [--workloads W1,W2,W3,W4] [--backends native,wasm,cpu] [--threads 2] [--fraction 0.05]
//                    [--w4-fraction F] [--no-peer] [--no-stock] [--repeat 3] [--out results/latest.json] [--note "..."]
//
// --backends names what runs our side: `native` (every loop with engine 'native', onnxruntime-node
// on --threads threads) and tfjs backends (every loop with engine 'tfjs' on that backend); by
// default native when onnxruntime-node loads and every tfjs backend that starts. --threads is
// both PyTorch's threads and the native engine's, so the two get the same cores.
// --repeat N runs every configuration N times in turn (native, wasm sdae, wasm stock, ...,
// PyTorch, native, ...) and keeps the median run (the machine's neighbours move single runs by
// 10-30 %). The 1-minute load average is recorded at the start and after each run; above 0.5 at
// the start the bench warns that other work is running (PyTorch's 2 threads suffer more from it
// than our runs do, so the ratios flatter sdae).
// --fraction scales W1's epoch, W4's epochs (or --w4-fraction) and W2's 3,000 iterations; W3 is
// always --warmup steps then --w3-steps timed steps. ms/step is the steady state after --warmup
// steps; a workload's time is projected from it when only a fraction ran.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, DEVICE_NAMES, filledKernels, listBackends, resolveEngine } from '@sdae/backend';
import { mnistDataDirectory } from '@sdae/datasets';
import { DEFAULT_PYTHON, probePeer, runPeer } from './peer.mjs';
import {
  QUIET_LOAD,
  TABLE_HEADER,
  loadWarning,
  markdownTable,
  runLabel,
  stageTable,
  summarizeRun,
  tableRows,
  targetTable,
} from './report.mjs';
import { WORKLOADS, WORKLOAD_NAMES } from './workloads.mjs';

/** What --backends accepts: the native engine and the tfjs backends. */
const NATIVE = 'native';
const BACKEND_CHOICES = [NATIVE, ...BACKEND_NAMES];
const USAGE = `usage: node src/run.mjs [--workloads ${WORKLOAD_NAMES.join(',')}] [--backends native,wasm,cpu] [--threads 2] [--fraction 0.05]
       [--w4-fraction F] [--warmup 3] [--w3-steps 20] [--stock-steps 5] [--no-stock] [--no-peer] [--python ${DEFAULT_PYTHON}]
       [--repeat 1] [--out results/latest.json] [--note TEXT]
  --backends: any of ${BACKEND_CHOICES.join(', ')} (native: onnxruntime-node; the others: tfjs backends);
              default native and every tfjs backend that starts here
  --threads:  threads of PyTorch and of the native engine
  --devices:  the native engine's devices, any of cpu, webgpu, cuda, coreml, dml (default cpu); each that starts is a row, with its adapter`;
const CHILD = fileURLToPath(new URL('./run-workload.mjs', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../results/latest.json', import.meta.url));

function parseSettings() {
  const { values } = parseArgs({
    options: {
      workloads: { type: 'string', default: WORKLOAD_NAMES.join(',') },
      backends: { type: 'string' },
      fraction: { type: 'string', default: '0.05' },
      'w4-fraction': { type: 'string' },
      warmup: { type: 'string', default: '3' },
      'w3-steps': { type: 'string', default: '20' },
      'stock-steps': { type: 'string', default: '5' },
      stock: { type: 'boolean', default: true },
      'no-stock': { type: 'boolean', default: false },
      peer: { type: 'boolean', default: true },
      'no-peer': { type: 'boolean', default: false },
      python: { type: 'string', default: DEFAULT_PYTHON },
      threads: { type: 'string', default: '2' },
      devices: { type: 'string', default: 'cpu' },
      repeat: { type: 'string', default: '1' },
      out: { type: 'string', default: DEFAULT_OUT },
      note: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const fail = (message) => {
    console.error(`bench: ${message}\n${USAGE}`);
    process.exit(2);
  };
  const workloads = values.workloads.split(',').map((name) => name.trim().toUpperCase());
  const unknown = workloads.find((name) => !(name in WORKLOADS));
  if (unknown !== undefined) fail(`--workloads: unknown workload '${unknown}'; the workloads are ${WORKLOAD_NAMES.join(', ')}.`);
  const backends = values.backends?.split(',').map((name) => name.trim().toLowerCase());
  const unknownBackend = backends?.find((name) => !BACKEND_CHOICES.includes(name));
  if (unknownBackend !== undefined)
    fail(`--backends: unknown backend '${unknownBackend}'; expected some of ${BACKEND_CHOICES.join(', ')}, comma-separated.`);
  const share = (flag, text) => {
    const value = Number(text);
    if (!(value > 0 && value <= 1)) fail(`--${flag} must be a number in (0, 1]; received '${text}'.`);
    return value;
  };
  const fraction = share('fraction', values.fraction);
  const whole = (flag, text, minimum) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < minimum) fail(`--${flag} must be a whole number >= ${minimum}; received '${text}'.`);
    return value;
  };
  return {
    workloads,
    backends,
    fraction,
    w4Fraction: values['w4-fraction'] === undefined ? fraction : share('w4-fraction', values['w4-fraction']),
    warmup: whole('warmup', values.warmup, 0),
    w3Steps: whole('w3-steps', values['w3-steps'], 1),
    stockSteps: whole('stock-steps', values['stock-steps'], 1),
    stock: values.stock && !values['no-stock'],
    peer: values.peer && !values['no-peer'],
    python: values.python,
    threads: whole('threads', values.threads, 1),
    devices: values.devices.split(',').map((name) => {
      const device = name.trim().toLowerCase();
      if (!DEVICE_NAMES.includes(device) || device === 'auto')
        fail(`--devices: unknown device '${device}'; expected some of cpu, webgpu, cuda, coreml, dml.`);
      return device;
    }),
    repeat: whole('repeat', values.repeat, 1),
    out: resolve(values.out),
    note: values.note,
  };
}

/**
 * What runs our side: `{ backends, native }`, the names to run (those asked for that start here,
 * else native when it loads and every tfjs backend that starts in Node, native first) and the
 * native engine's description (undefined when it does not run).
 */
async function chooseBackends(requested, threads, devices) {
  const wanted = (name) => requested === undefined || requested.includes(name);
  let native;
  const nativeDevices = [];
  if (wanted(NATIVE)) {
    for (const device of devices) {
      try {
        const resolved = await resolveEngine({ engine: 'native', device, threads });
        native ??= resolved.description;
        nativeDevices.push({ device, description: resolved.description });
      } catch (error) {
        console.log(`skipping backend native on ${device}: ${error.message}`);
      }
    }
  }
  const statuses = await listBackends();
  const available = statuses.filter((status) => status.available).map((status) => status.name);
  for (const status of statuses) {
    if (!status.available && (requested === undefined ? status.reason.includes('not installed') : requested.includes(status.name))) {
      console.log(`skipping backend ${status.name}: ${status.reason}`);
    }
  }
  const tfjs = requested === undefined ? available : requested.filter((name) => available.includes(name));
  return { backends: [...(native === undefined ? [] : [NATIVE]), ...tfjs], native, nativeDevices };
}

function runChild(spec) {
  const child = spawnSync(process.execPath, [CHILD, JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = child.stdout?.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
  if (child.status !== 0 || line === undefined) {
    return {
      workload: spec.workload,
      backend: spec.backend,
      kernels: spec.kernels,
      threads: spec.threads,
      status: 'error',
      error: (child.stderr || `exit code ${child.status}`).trim().slice(-2000),
    };
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length));
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGb: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    tfjsCore: tf.version_core,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

function progress(run) {
  const summary = summarizeRun(run);
  const figures =
    run.status === 'ok'
      ? `${summary.msPerStep.toFixed(1)} ms/step, ${summary.steps} steps in ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`
      : `${run.status}: ${String(run.error).split('\n')[0]}`;
  console.log(`  ${run.workload} ${runLabel(run)}: ${figures} (load ${run.loadAverage.toFixed(1)})`);
}

const settings = parseSettings();
const info = machine();
const startWarning = loadWarning(info.loadAverageAtStart[0]);
if (startWarning !== undefined) console.log(startWarning);
const { backends, native: nativeEngine, nativeDevices } = await chooseBackends(settings.backends, settings.threads, settings.devices);
if (nativeEngine !== undefined) info.nativeEngine = nativeEngine;
const peerStatus = settings.peer ? probePeer(settings.python) : { available: false, reason: 'disabled with --no-peer' };
if (!peerStatus.available) console.log(`PyTorch peer skipped: ${peerStatus.reason}.`);
const dataDirectory = mnistDataDirectory();
console.log(
  `workloads ${settings.workloads.join(', ')} on ${backends.map((name) => (name === NATIVE ? nativeEngine : name)).join(', ')}${peerStatus.available ? ` and PyTorch ${peerStatus.version}` : ''}, fraction ${settings.fraction}`,
);

const started = performance.now();
const runs = [];
const measure = (run) => {
  run.loadAverage = os.loadavg()[0];
  progress(run);
  return run;
};
/**
 * Keeps the run with the median ms per step of the repeats of one configuration (an odd count
 * gives a real run), with every repeat's ms per step and the load kept for the notes: this
 * 2-core machine's neighbours move single runs by 10-30 %.
 */
const record = (repeats) => {
  const ok = repeats.filter((run) => run.status === 'ok');
  if (ok.length === 0) return runs.push(repeats[0]);
  const sorted = ok.map((run) => [summarizeRun(run).msPerStep, run]).sort((a, b) => a[0] - b[0]);
  const median = sorted[Math.floor((sorted.length - 1) / 2)][1];
  if (repeats.length > 1) median.repeatsMsPerStep = ok.map((run) => summarizeRun(run).msPerStep);
  runs.push(median);
};
for (const name of settings.workloads) {
  const workload = WORKLOADS[name];
  const fraction = name === 'W4' ? settings.w4Fraction : settings.fraction;
  const plan = workload.plan({ ...settings, fraction });
  const base = { workload: name, fraction, warmup: settings.warmup, w3Steps: settings.w3Steps };
  // One configuration after the other, repeated in turn (native, sdae, stock, PyTorch, native, ...),
  // so that a slow spell of the machine falls on all of them.
  const configurations = [];
  for (const backend of backends) {
    if (backend === NATIVE) {
      for (const { device } of nativeDevices)
        configurations.push(() => runChild({ ...base, backend, kernels: 'sdae', threads: settings.threads, device }));
      continue;
    }
    configurations.push(() => runChild({ ...base, backend, kernels: 'sdae' }));
    // Stock tfjs differs from sdae only where sdae fills kernels: the convolutions' gradients and
    // the matrix products (wasm). Stock kernels take seconds per step on cpu: a few steps, the
    // workload's time projected from them.
    const touched = workload.convolutional || filledKernels(backend).some((kernel) => kernel.kernelName === 'BatchMatMul');
    if (settings.stock && touched) {
      const stockWarmup = Math.min(settings.warmup, 1);
      configurations.push(() =>
        runChild({
          ...base,
          backend,
          kernels: 'stock',
          warmup: stockWarmup,
          w3Steps: settings.stockSteps,
          maxSteps: stockWarmup + settings.stockSteps,
        }),
      );
    }
  }
  if (peerStatus.available) {
    configurations.push(() => {
      const peer = runPeer({
        python: settings.python,
        workload: name,
        dataDirectory,
        plan,
        warmup: settings.warmup,
        threads: settings.threads,
      });
      peer.stages = peer.stages?.map((stage, index) => ({
        ...plan.stages[index],
        ...stage,
        gflops: plan.stages[index].flopsPerStep / stage.msPerStep / 1e6,
      }));
      return peer;
    });
  }
  const repeats = configurations.map(() => []);
  for (let round = 0; round < settings.repeat; round++) configurations.forEach((run, index) => repeats[index].push(measure(run())));
  repeats.forEach(record);
}
info.loadAverageAtEnd = os.loadavg().map((load) => Number(load.toFixed(2)));
info.minutes = Number(((performance.now() - started) / 60_000).toFixed(1));

const heading = [
  `## sdae benchmark, ${info.date.slice(0, 10)}`,
  '',
  `${info.cpu}, ${info.cores} cores, ${info.memoryGb} GB, ${info.platform}; Node ${info.node}, tfjs-core ${info.tfjsCore}` +
    `${nativeEngine === undefined ? '' : `, ${nativeEngine}`}${peerStatus.available ? `, PyTorch ${peerStatus.version} (${settings.threads} threads)` : ''}.`,
  `fraction ${settings.fraction} of W1's epoch and W2's iterations, ${settings.w4Fraction} of W4's epochs; warm-up ${settings.warmup} steps, W3 ${settings.w3Steps} timed steps, ` +
    `stock kernels ${settings.stockSteps} timed steps; ${info.minutes} min in all; 1-minute load average ${info.loadAverageAtStart[0]} at the start, ` +
    `${info.loadAverageAtEnd[0]} at the end (2 means both cores busy)` +
    `${settings.repeat > 1 ? `; each configuration run ${settings.repeat} times in turn, the median run shown` : ''}.`,
  ...(startWarning === undefined ? [] : [`**${startWarning.replace(/^warning/, 'Warning')}**`]),
  ...(settings.note === '' ? [] : [`Note: ${settings.note}`]),
  '',
  ...settings.workloads.map((name) => `- ${name}: ${WORKLOADS[name].title}`),
  '',
];
const tables = [markdownTable(TABLE_HEADER, tableRows(runs, WORKLOADS))];
for (const name of settings.workloads) {
  const stages = stageTable(runs, name);
  if (stages !== undefined) tables.push(stages);
}
const targets = targetTable(runs, settings.workloads, {
  repeat: settings.repeat,
  loadAtStart: info.loadAverageAtStart[0],
  quietLoad: QUIET_LOAD,
});
if (targets !== undefined) tables.push(targets);
const text = [...heading, tables.join('\n\n'), ''].join('\n');
console.log(`\n${text}`);

await mkdir(dirname(settings.out), { recursive: true });
const summaries = runs.map((run) => ({ ...run, summary: summarizeRun(run) }));
await writeFile(settings.out, `${JSON.stringify({ machine: info, settings, peer: peerStatus, backends, runs: summaries }, null, 2)}\n`);
await writeFile(settings.out.replace(/\.json$/, '') + '.md', text);
console.log(`written ${settings.out} and its .md`);
