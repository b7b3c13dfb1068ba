// The benchmark (not a test): runs each workload on the native engine (onnxruntime-node, on 1 and
// --threads threads) and on every tfjs backend that starts in Node, the latter with the sdae
// kernels and, where sdae's kernels make a difference, with the stock tfjs kernels; and the same
// workloads in PyTorch in every configuration peer.mjs finds (Debian's torch, the pip wheel, each
// --python; 1 and --threads threads; OpenBLAS's pool as torch leaves it and pinned; OpenMP
// spinning or passive). Every configuration runs --repeat times (5 by default), all of them in
// turn, ours and PyTorch alternating; the tables give each configuration's best and median ms per
// step and ours against the fastest PyTorch configuration, best to best and median to median.
// Each run is its own process, so peak RSS is per run (process maxRSS: wasm's memory and
// onnxruntime's included). The 1-minute load average is recorded at the start and after each run.
//
//   node src/run.mjs [--workloads W1,W2,W3,W4] [--backends native,wasm,cpu] [--threads 2] [--fraction 0.05]
//                    [--w4-fraction F] [--no-peer] [--no-stock] [--repeat 5] [--python P]... [--peers debian,wheel] [--peer-variants default,pinned,passive]
//                    [--quick] [--out results/latest.json] [--note "..."]
//
// --quick: 2 rounds, small fractions, W3 5 steps, the `passive` peer variant only: checks the
// bench works in a few minutes; not a measurement.
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
import { comparisonTable, fastestPeer, interleave, ratios, runRounds, statistics } from './compare.mjs';
import { PEER_KINDS, PEER_VARIANT_NAMES, findPeers, peerConfigurations, runPeer } from './peer.mjs';
import { QUIET_LOAD, TABLE_HEADER, loadWarning, markdownTable, stageTable, summarizeRun, tableRows, targetTable } from './report.mjs';
import { WORKLOADS, WORKLOAD_NAMES } from './workloads.mjs';

/** What --backends accepts: the native engine and the tfjs backends. */
const NATIVE = 'native';
const BACKEND_CHOICES = [NATIVE, ...BACKEND_NAMES];
const USAGE = `usage: node src/run.mjs [--workloads ${WORKLOAD_NAMES.join(',')}] [--backends native,wasm,cpu] [--threads 2] [--fraction 0.05]
       [--w4-fraction F] [--warmup 3] [--w3-steps 20] [--stock-steps 5] [--no-stock] [--no-peer] [--python P]...
       [--peer-variants ${PEER_VARIANT_NAMES.join(',')}] [--repeat 5] [--quick] [--out results/latest.json] [--note TEXT] [--batch-parts N]
  --backends: any of ${BACKEND_CHOICES.join(', ')} (native: onnxruntime-node; the others: tfjs backends);
              default native and every tfjs backend that starts here
  --threads:  threads of PyTorch and of the native engine (both also run on 1 thread)
  --batch-parts: also the native engine on the CPU with each batch in N parts at once (batchParts), on --threads threads
  --python:   another interpreter with torch, besides Debian's and the pip wheel in /opt/wheels (repeatable)
  --devices:  the native engine's devices, any of cpu, webgpu, cuda, coreml, dml (default cpu); each that starts is a row, with its adapter
  --quick:    2 rounds, fraction 0.01, W3 5 steps, peer variant passive only: a check that the bench works`;
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
      python: { type: 'string', multiple: true, default: [] },
      peers: { type: 'string', default: PEER_KINDS.join(',') },
      'peer-variants': { type: 'string', default: PEER_VARIANT_NAMES.join(',') },
      threads: { type: 'string', default: '2' },
      'batch-parts': { type: 'string' },
      devices: { type: 'string', default: 'cpu' },
      repeat: { type: 'string', default: '5' },
      quick: { type: 'boolean', default: false },
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
  if (values.quick) {
    // Only what the command line leaves at its default: --quick --repeat 3 still runs 3 rounds.
    const given = (flag) => process.argv.some((argument) => argument === `--${flag}` || argument.startsWith(`--${flag}=`));
    if (!given('repeat')) values.repeat = '2';
    if (!given('fraction')) values.fraction = '0.01';
    if (!given('w4-fraction')) values['w4-fraction'] = '0.002';
    if (!given('w3-steps')) values['w3-steps'] = '5';
    if (!given('warmup')) values.warmup = '2';
    if (!given('peer-variants')) values['peer-variants'] = 'passive';
  }
  const peerVariants = values['peer-variants'].split(',').map((name) => name.trim());
  const unknownVariant = peerVariants.find((name) => !PEER_VARIANT_NAMES.includes(name));
  if (unknownVariant !== undefined)
    fail(`--peer-variants: unknown variant '${unknownVariant}'; expected some of ${PEER_VARIANT_NAMES.join(', ')}, comma-separated.`);
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
    pythons: values.python,
    peers: values.peers.split(',').map((name) => name.trim()),
    peerVariants,
    quick: values.quick,
    threads: whole('threads', values.threads, 1),
    batchParts:
      values['batch-parts'] === undefined
        ? undefined
        : batchPartsWithin(whole('batch-parts', values['batch-parts'], 2), values.threads, fail),
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

/** --batch-parts needs a thread per part (the loops refuse more parts than threads). */
function batchPartsWithin(parts, threads, fail) {
  if (parts > Number(threads)) fail(`--batch-parts ${parts} needs a thread per part; pass --threads ${parts} or more.`);
  return parts;
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

function progress(configuration, run, round) {
  const summary = summarizeRun(run);
  const figures =
    run.status === 'ok'
      ? `${summary.msPerStep.toFixed(2)} ms/step, ${summary.steps} steps in ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`
      : `${run.status}: ${String(run.error).split('\n')[0]}`;
  console.log(`  ${run.workload} #${round + 1} ${configuration.label}: ${figures} (load ${run.loadAverage.toFixed(1)})`);
}

const settings = parseSettings();
const info = machine();
console.log(`1-minute load average at the start: ${info.loadAverageAtStart[0]}`);
const startWarning = loadWarning(info.loadAverageAtStart[0]);
if (startWarning !== undefined) console.log(startWarning);
const { backends, native: nativeEngine, nativeDevices } = await chooseBackends(settings.backends, settings.threads, settings.devices);
if (nativeEngine !== undefined) info.nativeEngine = nativeEngine;
const peers = settings.peer ? findPeers(settings.pythons, settings.peers) : { installs: [], skipped: ['PyTorch: disabled with --no-peer'] };
for (const line of peers.skipped) console.log(`skipped ${line}.`);
const threadCounts = [...new Set([1, settings.threads])];
const peerConfigs = peerConfigurations(peers.installs, threadCounts, settings.peerVariants);
const dataDirectory = mnistDataDirectory();
console.log(
  `workloads ${settings.workloads.join(', ')} on ${backends.map((name) => (name === NATIVE ? nativeEngine : name)).join(', ')}; ` +
    `${peerConfigs.length} PyTorch configurations; ${settings.repeat} rounds; fraction ${settings.fraction}`,
);

const started = performance.now();
/** Every run's result, and per workload the configurations' statistics (ms per step). */
const runs = [];
const comparisons = {};
const msPerStep = (run) => (run.status === 'ok' ? summarizeRun(run).msPerStep : Number.NaN);
for (const name of settings.workloads) {
  const workload = WORKLOADS[name];
  const fraction = name === 'W4' ? settings.w4Fraction : settings.fraction;
  const plan = workload.plan({ ...settings, fraction });
  const base = { workload: name, fraction, warmup: settings.warmup, w3Steps: settings.w3Steps };
  const ours = [];
  const labelled = (result, label) => Object.assign(result, { label });
  for (const backend of backends) {
    if (backend === NATIVE) {
      for (const { device, description } of nativeDevices) {
        for (const threads of threadCounts) {
          const on = device === 'cpu' ? '' : `, ${device}: ${description}`;
          const label = `native (onnxruntime, ${threads} thread${threads === 1 ? '' : 's'}${on})`;
          ours.push({
            key: `native|${device}|${threads}`,
            label,
            side: 'ours',
            run: () => labelled(runChild({ ...base, backend, kernels: 'sdae', threads, device }), label),
          });
        }
        // Each batch in parts at once (the CPU only), on --threads threads.
        const parts = settings.batchParts;
        if (parts !== undefined && device === 'cpu') {
          const label = `native (onnxruntime, ${settings.threads} threads, each batch in ${parts} parts)`;
          ours.push({
            key: `native|${device}|${settings.threads}|parts${parts}`,
            label,
            side: 'ours',
            run: () =>
              labelled(runChild({ ...base, backend, kernels: 'sdae', threads: settings.threads, device, batchParts: parts }), label),
          });
        }
      }
      continue;
    }
    ours.push({
      key: `${backend}|sdae`,
      label: `${backend}, sdae`,
      side: 'ours',
      run: () => labelled(runChild({ ...base, backend, kernels: 'sdae' }), `${backend}, sdae`),
    });
    // Stock tfjs differs from sdae only where sdae fills kernels: the convolutions' gradients and
    // the matrix products (wasm). Stock kernels take seconds per step on cpu: a few steps, the
    // workload's time projected from them.
    const touched = workload.convolutional || filledKernels(backend).some((kernel) => kernel.kernelName === 'BatchMatMul');
    if (settings.stock && touched) {
      const stockWarmup = Math.min(settings.warmup, 1);
      const spec = {
        ...base,
        backend,
        kernels: 'stock',
        warmup: stockWarmup,
        w3Steps: settings.stockSteps,
        maxSteps: stockWarmup + settings.stockSteps,
      };
      ours.push({
        key: `${backend}|stock`,
        label: `${backend}, stock tfjs`,
        side: 'ours',
        run: () => labelled(runChild(spec), `${backend}, stock tfjs`),
      });
    }
  }
  const theirs = peerConfigs.map((configuration) => ({
    key: configuration.key,
    label: configuration.label,
    side: 'peer',
    run: () => {
      const peer = runPeer({ configuration, workload: name, dataDirectory, plan, warmup: settings.warmup });
      peer.label = configuration.label;
      peer.stages = peer.stages?.map((stage, index) => ({
        ...plan.stages[index],
        ...stage,
        gflops: plan.stages[index].flopsPerStep / stage.msPerStep / 1e6,
      }));
      return peer;
    },
  }));
  const collected = runRounds(interleave(ours, theirs), settings.repeat, progress);
  const stats = statistics(collected, msPerStep);
  comparisons[name] = stats;
  // The detailed table keeps each configuration's median run.
  for (const { results } of collected) {
    const ok = results.filter((run) => Number.isFinite(msPerStep(run)));
    if (ok.length === 0) {
      runs.push(results[0]);
      continue;
    }
    const sorted = [...ok].sort((a, b) => msPerStep(a) - msPerStep(b));
    const middle = sorted[Math.floor((sorted.length - 1) / 2)];
    middle.repeatsMsPerStep = ok.map(msPerStep);
    runs.push(middle);
  }
  await writeResults(settings.workloads.slice(0, settings.workloads.indexOf(name) + 1));
}

/**
 * Writes the JSON and the markdown tables of the workloads `done` so far (after each workload, so
 * that an interrupted bench keeps what it measured), and prints the tables when all are done.
 */
async function writeResults(done) {
  info.loadAverageAtEnd = os.loadavg().map((load) => Number(load.toFixed(2)));
  info.minutes = Number(((performance.now() - started) / 60_000).toFixed(1));

  const heading = [
    `## sdae benchmark, ${info.date.slice(0, 10)}${done.length < settings.workloads.length ? ` (partial: ${done.join(', ')} of ${settings.workloads.join(', ')})` : ''}`,
    '',
    `${info.cpu}, ${info.cores} cores, ${info.memoryGb} GB, ${info.platform}; Node ${info.node}, tfjs-core ${info.tfjsCore}` +
      `${nativeEngine === undefined ? '' : `, ${nativeEngine}`}; PyTorch: ${peers.installs.map((install) => `${install.name} with ${install.blas}`).join(', ') || 'none'}.`,
    `fraction ${settings.fraction} of W1's epoch and W2's iterations, ${settings.w4Fraction} of W4's epochs; warm-up ${settings.warmup} steps, W3 ${settings.w3Steps} timed steps, ` +
      `stock kernels ${settings.stockSteps} timed steps; every configuration run ${settings.repeat} times, all in turn (ours and PyTorch alternating); ${info.minutes} min in all; ` +
      `**1-minute load average ${info.loadAverageAtStart[0]} at the start**, ${info.loadAverageAtEnd[0]} at the end (2 means both cores busy).`,
    ...(settings.quick ? ['**--quick: a check that the bench works, not a measurement.**'] : []),
    ...(startWarning === undefined ? [] : [`**${startWarning.replace(/^warning/, 'Warning')}**`]),
    ...(settings.note === '' ? [] : [`Note: ${settings.note}`]),
    '',
    ...done.map((name) => `- ${name}: ${WORKLOADS[name].title}`),
    '',
  ];
  const fastestMedianRun = (name) => {
    const stat = fastestPeer(comparisons[name] ?? []).byMedian;
    return stat === undefined ? undefined : runs.find((run) => run.workload === name && run.label === stat.label);
  };
  const tables = done.map((name) => comparisonTable(`${name} ms per step:`, comparisons[name], { unit: 'ms/step', digits: 2 }).join('\n'));
  tables.push(markdownTable(TABLE_HEADER, tableRows(runs, WORKLOADS, fastestMedianRun)));
  for (const name of done) {
    const stages = stageTable(runs, name);
    if (stages !== undefined) tables.push(stages);
  }
  const targets = targetTable(comparisons, done, {
    repeat: settings.repeat,
    loadAtStart: info.loadAverageAtStart[0],
    quietLoad: QUIET_LOAD,
    ratios,
    fastestPeer,
  });
  if (targets !== undefined) tables.push(targets);
  const text = [...heading, tables.join('\n\n'), ''].join('\n');
  if (done.length === settings.workloads.length) console.log(`\n${text}`);

  await mkdir(dirname(settings.out), { recursive: true });
  const summaries = runs.map((run) => ({ ...run, summary: summarizeRun(run) }));
  await writeFile(settings.out, `${JSON.stringify({ machine: info, settings, peers, backends, comparisons, runs: summaries }, null, 2)}\n`);
  await writeFile(settings.out.replace(/\.json$/, '') + '.md', text);
  console.log(`written ${settings.out} and its .md`);
}
