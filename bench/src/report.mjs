// Turns the runs' results into the rows of the table and prints them as markdown.

/** How a run is labelled in the table: backend, and the kernels it ran with. */
export function runLabel(run) {
  if (run.backend === 'pytorch') return `pytorch (${run.threads ?? '?'} threads)`;
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
  if (run.status !== 'ok' || steps === 0) return { steps, msPerStep: Number.NaN, workloadSeconds: Number.NaN, projected: false, gflops: Number.NaN };
  const steadyMs = stages.reduce((sum, stage) => sum + stage.msPerStep * stage.steps, 0);
  const flops = stages.reduce((sum, stage) => sum + stage.flopsPerStep * stage.steps, 0);
  const projected = stages.some((stage) => stage.steps < stage.fullSteps);
  const workloadSeconds = stages.reduce((sum, stage) => sum + stage.seconds + (stage.msPerStep * (stage.fullSteps - stage.steps)) / 1000, 0);
  return { steps, msPerStep: steadyMs / steps, workloadSeconds, projected, gflops: flops / steadyMs / 1e6 };
}

const number = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const milliseconds = (value) => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '—');

function stepsText(run, summary) {
  const stages = run.stages ?? [];
  if (stages.length > 1 && stages.every((stage) => stage.steps === stages[0].steps)) return `${stages.length} x ${stages[0].steps}`;
  return String(summary.steps);
}

/** The table's rows as arrays of cells, one per run, with the ratios against the peer. */
export function tableRows(runs, workloads) {
  const rows = [];
  for (const run of runs) {
    const workload = workloads[run.workload];
    const summary = summarizeRun(run);
    const peer = runs.find((other) => other.workload === run.workload && other.backend === 'pytorch' && other.status === 'ok');
    const sdae = runs.find((other) => other.workload === run.workload && other.backend === run.backend && other.kernels === 'sdae' && other.status === 'ok');
    const ratio = peer !== undefined && run.backend !== 'pytorch' ? summary.msPerStep / summarizeRun(peer).msPerStep : Number.NaN;
    const notes = [];
    if (run.status === 'missing kernel') notes.push(`missing kernel: ${run.error}`);
    else if (run.status !== 'ok') notes.push(`error: ${String(run.error).split('\n')[0].slice(0, 120)}`);
    if (run.status === 'ok' && summary.projected) notes.push(`${workload.unit} time projected from ${stepsText(run, summary)} steps`);
    if (run.kernels === 'stock' && sdae !== undefined && run.status === 'ok') notes.push(`sdae kernels ${(summary.msPerStep / summarizeRun(sdae).msPerStep).toFixed(1)}x faster`);
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

export const TABLE_HEADER = ['workload', 'backend', 'steps', 'ms/step', 'epoch/run (s)', 'GFLOP/s', 'peak RSS (MB)', 'numTensors before → after', 'ours/PyTorch', 'load', 'notes'];

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
  const header = [`${workloadName} stage`, 'GFLOP/step', ...withStages.map((run) => `${runLabel(run)} ms/step`), ...(peer === undefined ? [] : ours.map((run) => `${runLabel(run)} / PyTorch`))];
  const rows = withStages[0].stages.map((stage, index) => [
    stage.name,
    number(stage.flopsPerStep / 1e9, 3),
    ...withStages.map((run) => milliseconds(run.stages[index]?.msPerStep)),
    ...(peer === undefined ? [] : ours.map((run) => number(run.stages[index].msPerStep / peer.stages[index].msPerStep, 2))),
  ]);
  return markdownTable(header, rows);
}
