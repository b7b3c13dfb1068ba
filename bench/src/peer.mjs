// Finds every PyTorch the bench can run and the configurations it runs each in: Debian's
// python3-torch (/usr/bin/python3), the pip CPU wheel lying in /opt/wheels (unzipped on demand
// into bench/.cache and run by the first python3 on PATH with PYTHONPATH set to it), and any
// --python given; each on 1 and --threads threads, with OpenBLAS's pool as PyTorch leaves it and
// pinned to the threads, and OpenMP's threads spinning (the default) or waiting passively.
// The fastest configuration is the peer the tables compare against.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../peer/workloads.py', import.meta.url));
const CACHE = fileURLToPath(new URL('../.cache/', import.meta.url));
export const WHEEL_DIRECTORY = '/opt/wheels';
const INSTALL_HINT = 'apt-get install -y python3-torch libopenblas0-pthread';
/** The environment variables a configuration sets or clears; the bench's own values never leak in. */
const THREAD_VARIABLES = ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'OMP_WAIT_POLICY'];
/** Prints torch's version and its BLAS: openblas when a matrix product maps libopenblas, else torch's BLAS_INFO. */
const PROBE = [
  'import re, torch',
  'torch.ones(64, 64) @ torch.ones(64, 64)',
  "maps = open('/proc/self/maps').read()",
  "info = re.search(r'BLAS_INFO=(\\w+)', torch.__config__.show())",
  "print(torch.__version__, 'openblas' if 'libopenblas' in maps else (info.group(1) if info else 'unknown'))",
].join('\n');

/**
 * The variants of the thread pools' environment (`--peer-variants`): `default` sets nothing but
 * torch.set_num_threads (OpenBLAS's pool then has one thread per core, OpenMP's threads spin
 * after each parallel region); `pinned` gives OpenBLAS's pool the same threads as torch's;
 * `passive` pins it and lets OpenMP's threads wait passively (OMP_WAIT_POLICY=PASSIVE), what
 * keeps two pools from fighting over 2 cores. Where torch does not use OpenBLAS (the pip wheel
 * uses MKL), `pinned` is the same as `default` and is left out.
 */
export const PEER_VARIANTS = {
  default: () => ({}),
  pinned: (threads) => ({ OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) }),
  passive: (threads) => ({ OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' }),
};
export const PEER_VARIANT_NAMES = Object.keys(PEER_VARIANTS);

/** `process.env` with the thread variables replaced by `settings` (those it leaves out removed). */
export function peerEnvironment(settings, extra = {}) {
  const env = { ...process.env, ...extra };
  for (const name of THREAD_VARIABLES) delete env[name];
  return { ...env, ...settings };
}

/** The first `python3` on PATH, as a path (`python3` itself when none is found). */
function pathPython() {
  const found = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : 'python3';
}

/**
 * The pip wheel's folder under bench/.cache, unzipped from `wheel` on first use (into a scratch
 * folder renamed when complete, so an interrupted unzip is not taken for a finished one).
 */
export function unpackWheel(wheel, python) {
  const folder = join(CACHE, basename(wheel, '.whl'));
  if (existsSync(join(folder, 'torch'))) return { folder };
  mkdirSync(CACHE, { recursive: true });
  const scratch = `${folder}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  console.log(`unzipping ${wheel} into ${folder} (once)...`);
  const unzip = spawnSync(python, ['-m', 'zipfile', '-e', wheel, scratch], { encoding: 'utf8' });
  if (unzip.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    return {
      reason: `cannot unzip ${wheel} with ${python} -m zipfile (${(unzip.stderr || String(unzip.error)).trim().split('\n').pop()})`,
    };
  }
  renameSync(scratch, folder);
  return { folder };
}

/** Whether `python` (with `extraEnv`) imports torch: `{ available, version, blas }` or `{ available: false, reason }`. */
export function probePeer(python = DEFAULT_PYTHON, extraEnv = {}) {
  const probe = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', env: peerEnvironment({}, extraEnv) });
  if (probe.error !== undefined)
    return {
      available: false,
      reason: `${python} cannot be run (${probe.error.code ?? probe.error.message}); install ${INSTALL_HINT}, or pass --python`,
    };
  if (probe.status !== 0) {
    const lastLine = probe.stderr.trim().split('\n').pop();
    return { available: false, reason: `${python} cannot import torch (${lastLine}); install it with ${INSTALL_HINT}` };
  }
  const [version, blas] = probe.stdout.trim().split(/\s+/);
  return { available: true, version, blas };
}

/** The installs `--peers` picks from: Debian's python3-torch and the pip wheels in /opt/wheels (each --python always runs). */
export const PEER_KINDS = ['debian', 'wheel'];

/**
 * Every PyTorch found (of `kinds`, and each of `extraPythons`): `{ installs, skipped }`, installs as `{ name, python, extraEnv, version,
 * blas }` (Debian's, the wheel's, each `--python`), skipped as lines saying why one is missing.
 */
export function findPeers(extraPythons = [], kinds = PEER_KINDS) {
  const installs = [];
  const skipped = [];
  if (!kinds.includes('debian')) skipped.push('torch (Debian): left out by --peers');
  if (!kinds.includes('wheel')) skipped.push('torch (pip wheel): left out by --peers');
  const add = (name, python, extraEnv = {}) => {
    const status = probePeer(python, extraEnv);
    if (status.available)
      installs.push({ name: `torch ${status.version} (${name})`, python, extraEnv, version: status.version, blas: status.blas });
    else skipped.push(`torch (${name}): ${status.reason}`);
  };
  if (kinds.includes('debian')) add('Debian', DEFAULT_PYTHON);
  const wheels = !kinds.includes('wheel')
    ? []
    : existsSync(WHEEL_DIRECTORY)
      ? readdirSync(WHEEL_DIRECTORY).filter((file) => /^torch-.*\.whl$/.test(file))
      : [];
  if (wheels.length === 0 && kinds.includes('wheel')) skipped.push(`torch (pip wheel): no torch-*.whl in ${WHEEL_DIRECTORY}`);
  for (const wheel of wheels) {
    const python = pathPython();
    const unpacked = unpackWheel(join(WHEEL_DIRECTORY, wheel), python);
    if (unpacked.folder === undefined) skipped.push(`torch (pip wheel ${wheel}): ${unpacked.reason}`);
    else add('pip wheel', python, { PYTHONPATH: unpacked.folder });
  }
  for (const python of extraPythons) add(python, python);
  return { installs, skipped };
}

/**
 * The peer configurations: every install on every thread count and variant (`pinned` only where
 * torch uses OpenBLAS), each `{ key, label, install, threads, variant, env }`.
 */
export function peerConfigurations(installs, threadCounts, variants = PEER_VARIANT_NAMES) {
  const configurations = [];
  for (const install of installs)
    for (const threads of threadCounts)
      for (const variant of variants) {
        if (variant === 'pinned' && !/open/i.test(install.blas ?? '')) continue;
        configurations.push({
          key: `pytorch|${install.name}|${threads}|${variant}`,
          label: `${install.name}, ${threads} thread${threads === 1 ? '' : 's'}, ${variant}`,
          install,
          threads,
          variant,
          env: peerEnvironment(PEER_VARIANTS[variant](threads), install.extraEnv),
        });
      }
  return configurations;
}

/**
 * Runs one workload in a peer configuration and returns its result (the `BENCH_RESULT` line), or
 * a result with `status: 'error'`.
 */
export function runPeer({ configuration, workload, dataDirectory, plan, warmup }) {
  const stages = plan.stages.map(({ name, steps }) => ({ name, steps }));
  const { install, threads, env } = configuration;
  const child = spawnSync(
    install.python,
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
    { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 },
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
