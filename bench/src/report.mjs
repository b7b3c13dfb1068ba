// Turns the runs' results into the rows of the table and prints them as markdown.

/** Above this 1-minute load average at the start, the benches warn that other work is running. */
export const QUIET_LOAD = 0.5;

/** The warning line for a 1-minute load average at the start, or undefined when it is quiet. */
export function loadWarning(loadAtStart) {
  if (!(loadAtStart > QUIET_LOAD)) return undefined;
  return `warning: 1-minute load average ${loadAtStart} at the start (above ${QUIET_LOAD}): other work is running: ratios against PyTorch flatter sdae.`;
}

/** How a run is labelled in the table: backend (or the native engine), and the kernels it ran with. */
export function runLabel(run) {
  if (run.label !== undefined) return run.label;
  if (run.backend === 'pytorch') return `pytorch (${run.threads ?? '?'} threads)`;
  if (run.backend === 'native' && (run.device ?? 'cpu') !== 'cpu')
    return `native on ${run.device} (${run.adapter ?? 'adapter not reported'}; onnxruntime, ${run.threads ?? '?'} threads)`;
  if (run.backend === 'native') return `native (onnxruntime, ${run.threads ?? '?'} threads)`;
  return run.kernels === 'stock' ? `${run.backend}, stock tfjs` : `${run.backend}, sdae`;
}

/**
 * One run's figures over all its stages: steps, ms per step (steady state, stages weighted by
 * their steps), the time of the whole workload (measured, or projected from the ms per step
 * when fewer steps ran than the workload has), GFLOP/s.
 */
export function summarizeRun(run) {
  const stages = run.stages ?? [];
  const steps = stages.reduce((sum, stage) => sum + stage.steps, 0);
  if (run.status !== 'ok' || steps === 0)
    return { steps, msPerStep: Number.NaN, workloadSeconds: Number.NaN, projected: false, gflops: Number.NaN };
  const steadyMs = stages.reduce((sum, stage) => sum + stage.msPerStep * stage.steps, 0);
  const flops = stages.reduce((sum, stage) => sum + stage.flopsPerStep * stage.steps, 0);
  const projected = stages.some((stage) => stage.steps < stage.fullSteps);
  const workloadSeconds = stages.reduce(
    (sum, stage) => sum + stage.seconds + (stage.msPerStep * (stage.fullSteps - stage.steps)) / 1000,
    0,
  );
  return { steps, msPerStep: steadyMs / steps, workloadSeconds, projected, gflops: flops / steadyMs / 1e6 };
}

const number = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const milliseconds = (value) => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '—');

function stepsText(run, summary) {
  const stages = run.stages ?? [];
  if (stages.length > 1 && stages.every((stage) => stage.steps === stages[0].steps)) return `${stages.length} x ${stages[0].steps}`;
  return String(summary.steps);
}

/**
 * The table's rows as arrays of cells, one per run, with the ratios against `peerFor(workload)`,
 * the peer's run to compare with (by default the first PyTorch run of the workload).
 */
export function tableRows(runs, workloads, peerFor) {
  const rows = [];
  for (const run of runs) {
    const workload = workloads[run.workload];
    const summary = summarizeRun(run);
    const peer =
      peerFor?.(run.workload) ??
      runs.find((other) => other.workload === run.workload && other.backend === 'pytorch' && other.status === 'ok');
    const sdae = runs.find(
      (other) => other.workload === run.workload && other.backend === run.backend && other.kernels === 'sdae' && other.status === 'ok',
    );
    const ratio = peer !== undefined && run.backend !== 'pytorch' ? summary.msPerStep / summarizeRun(peer).msPerStep : Number.NaN;
    const notes = [];
    if (run.status === 'missing kernel') notes.push(`missing kernel: ${run.error}`);
    else if (run.status !== 'ok') notes.push(`error: ${String(run.error).split('\n')[0].slice(0, 120)}`);
    if (run.status === 'ok' && summary.projected) notes.push(`${workload.unit} time projected from ${stepsText(run, summary)} steps`);
    if (run.kernels === 'stock' && sdae !== undefined && run.status === 'ok')
      notes.push(`sdae kernels ${(summary.msPerStep / summarizeRun(sdae).msPerStep).toFixed(1)}x faster`);
    const otherEngines = (run.engines ?? []).filter((report) => report.engine !== (run.engine ?? report.engine));
    if (otherEngines.length > 0) notes.push(`ran on ${otherEngines[0].description}, not ${run.engine}: ${otherEngines[0].reason}`);
    if (run.repeatsMsPerStep !== undefined) notes.push(`runs ${run.repeatsMsPerStep.map((ms) => milliseconds(ms)).join(', ')} ms/step`);
    const workloadTime = workload.unit === 'step' ? '—' : `${summary.projected ? '~' : ''}${number(summary.workloadSeconds, 1)}`;
    rows.push([
      run.workload,
      runLabel(run),
      run.status === 'ok' ? stepsText(run, summary) : '—',
      milliseconds(summary.msPerStep),
      workloadTime,
      number(summary.gflops, 2),
      number(run.peakRssMb, 0),
      run.numTensorsBefore === undefined ? 'n/a' : `${run.numTensorsBefore} → ${run.numTensorsAfter}`,
      number(ratio, 2),
      number(run.loadAverage, 1),
      notes.join('; '),
    ]);
  }
  return rows;
}

export const TABLE_HEADER = [
  'workload',
  'backend',
  'steps',
  'ms/step',
  'epoch/run (s)',
  'GFLOP/s',
  'peak RSS (MB)',
  'numTensors before → after',
  'ours/PyTorch (fastest median)',
  'load',
  'notes',
];

/** A markdown table. */
export function markdownTable(header, rows) {
  const widths = header.map((cell, column) => Math.max(String(cell).length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells) => `| ${cells.map((cell, column) => String(cell).padEnd(widths[column])).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The per-stage table of multi-stage workloads (W4): ms per step of each stage on each backend. */
export function stageTable(runs, workloadName) {
  const withStages = runs.filter((run) => run.workload === workloadName && run.status === 'ok' && (run.stages?.length ?? 0) > 1);
  if (withStages.length === 0) return undefined;
  const peer = withStages.find((run) => run.backend === 'pytorch');
  const ours = withStages.filter((run) => run.backend !== 'pytorch');
  const header = [
    `${workloadName} stage`,
    'GFLOP/step',
    ...withStages.map((run) => `${runLabel(run)} ms/step`),
    ...(peer === undefined ? [] : ours.map((run) => `${runLabel(run)} / PyTorch`)),
  ];
  const rows = withStages[0].stages.map((stage, index) => [
    stage.name,
    number(stage.flopsPerStep / 1e9, 3),
    ...withStages.map((run) => milliseconds(run.stages[index]?.msPerStep)),
    ...(peer === undefined ? [] : ours.map((run) => number(run.stages[index].msPerStep / peer.stages[index].msPerStep, 2))),
  ]);
  return markdownTable(header, rows);
}

/**
 * The targets, ours/PyTorch in ms per step against the fastest PyTorch configuration, best to
 * best and median to median: issue 29's for the native engine, issue 7's for the fastest tfjs
 * backend with the sdae kernels (W4 only reported there).
 */
export const TARGETS = {
  native: { source: 'issue 29', limits: { W1: 0.7, W2: 0.7, W3: 0.7, W4: 0.7 } },
  tfjs: { source: 'issue 7', limits: { W1: 1.0, W2: 1.5, W3: 2.0 } },
};

/**
 * The table against the targets: per workload, the fastest native configuration and the fastest
 * tfjs one (sdae kernels) against the fastest PyTorch configuration, best to best and median to
 * median, the target, and met (both ratios within it) or not; with a line saying when the run
 * does not meet the targets' conditions (at least 5 interleaved runs, a quiet machine).
 * `comparisons` maps each workload to compare.mjs's statistics; `ratios` and `fastestPeer` are
 * compare.mjs's. Undefined without a PyTorch configuration.
 */
export function targetTable(comparisons, workloadNames, { repeat, loadAtStart, quietLoad, ratios, fastestPeer }) {
  const rows = [];
  for (const name of workloadNames) {
    const stats = comparisons[name] ?? [];
    const fastest = fastestPeer(stats);
    if (fastest.byMedian === undefined) continue;
    const quickest = (pick) =>
      stats.filter((stat) => stat.side === 'ours' && pick(stat.key) && stat.values.length > 0).sort((a, b) => a.median - b.median)[0];
    for (const [kind, stat] of [
      ['native', quickest((key) => key.startsWith('native|'))],
      ['tfjs', quickest((key) => key.endsWith('|sdae'))],
    ]) {
      if (stat === undefined) continue;
      const { source, limits } = TARGETS[kind];
      const limit = limits[name];
      const ratio = ratios(stat, fastest);
      const verdict = limit === undefined ? 'reported' : ratio.best <= limit && ratio.median <= limit ? 'met' : '**not met**';
      rows.push([
        name,
        stat.label,
        `${milliseconds(stat.best)} / ${milliseconds(stat.median)}`,
        `${milliseconds(fastest.byBest.best)} / ${milliseconds(fastest.byMedian.median)}`,
        `**${number(ratio.best, 2)} / ${number(ratio.median, 2)}**`,
        limit === undefined ? 'reported' : `<= ${limit.toFixed(1)}`,
        source,
        verdict,
      ]);
    }
  }
  if (rows.length === 0) return undefined;
  const caveats = [];
  if (repeat < 5)
    caveats.push(`${repeat} run${repeat === 1 ? '' : 's'} per configuration (the targets ask for at least 5 interleaved runs)`);
  if (loadAtStart > quietLoad)
    caveats.push(`1-minute load ${loadAtStart} at the start (the targets ask for a quiet machine, <= ${quietLoad})`);
  const table = markdownTable(
    [
      'workload',
      'ours (fastest)',
      'ours ms/step best / median',
      'fastest PyTorch best / median',
      'ratio best / median',
      'target',
      'from',
      '',
    ],
    rows,
  );
  return [
    'Against the targets (ours / the fastest PyTorch configuration, ms per step):',
    '',
    table,
    ...(caveats.length === 0 ? [] : ['', `Not an acceptance measurement: ${caveats.join('; ')}.`]),
  ].join('\n');
}
