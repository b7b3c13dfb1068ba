// Finds and runs the PyTorch peer (peer/workloads.py) with Debian's python3, which is where the
// python3-torch package installs torch; the python3 first on PATH may be another interpreter.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const DEFAULT_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../peer/workloads.py', import.meta.url));
const INSTALL_HINT = 'apt-get install -y python3-torch libopenblas0-pthread';

/**
 * Whether `python` can import torch: `{ available: true, version }` or `{ available: false, reason }`.
 */
export function probePeer(python = DEFAULT_PYTHON) {
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error !== undefined)
    return {
      available: false,
      reason: `${python} cannot be run (${probe.error.code ?? probe.error.message}); install Debian's python3 and ${INSTALL_HINT}, or pass --python`,
    };
  if (probe.status !== 0) {
    const lastLine = probe.stderr.trim().split('\n').pop();
    return { available: false, reason: `${python} cannot import torch (${lastLine}); install it with ${INSTALL_HINT}` };
  }
  return { available: true, version: probe.stdout.trim() };
}

/**
 * The peer's thread settings. OpenBLAS keeps its own pool of threads besides torch's OpenMP one,
 * and OpenMP threads spin for a while after each parallel region: on 2 cores, 2 spinning OpenMP
 * threads and 2 OpenBLAS threads slow the batch-20 products 2.5-3.5x. Passive waiting lets both
 * pools have the 2 threads without fighting over the cores.
 */
export function peerEnvironment(threads) {
  return { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' };
}

/**
 * Runs one workload in the peer and returns its result (the `BENCH_RESULT` line), or a result
 * with `status: 'error'`.
 */
export function runPeer({ python = DEFAULT_PYTHON, workload, dataDirectory, plan, warmup, threads }) {
  const stages = plan.stages.map(({ name, steps }) => ({ name, steps }));
  const child = spawnSync(
    python,
    [
      SCRIPT,
      '--workload',
      workload,
      '--data',
      dataDirectory,
      '--plan',
      JSON.stringify({ stages }),
      '--warmup',
      String(warmup),
      '--threads',
      String(threads),
    ],
    { encoding: 'utf8', env: { ...process.env, ...peerEnvironment(threads) }, maxBuffer: 64 * 1024 * 1024 },
  );
  const line = child.stdout?.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
  if (child.status !== 0 || line === undefined) {
    return {
      workload,
      backend: 'pytorch',
      status: 'error',
      error: (child.stderr || String(child.error ?? `exit code ${child.status}`)).trim().slice(-2000),
    };
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length));
}
