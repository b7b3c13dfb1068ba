#!/usr/bin/env node
// The README's two commands, on a machine that has only Node 20 and npm:
//   npm start  -> node scripts/run.mjs main   (install, build, run the main job: a short dA experiment)
//   npm test   -> node scripts/run.mjs test   (install, Chromium for the browser tests and
//                                             redis-server for the sweep queue tests and Mesa's
//                                             software Vulkan (bookworm-backports) for the WebGPU
//                                             tests when they are missing, prettier's check, build, lint, typecheck, every test, the
//                                             packaging test, then `tests: N passed, N failed`)
// pnpm comes through npx at the version pinned in package.json (corepack is not needed).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  npm_config_update_notifier: 'false',
};

function exec(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

const pnpm = (...args) => exec('npx', ['--yes', packageManager, ...args]);

function install() {
  const code = pnpm('install', '--frozen-lockfile', '--reporter=append-only');
  if (code !== 0) process.exit(code);
}

/**
 * Installs Debian's `pkg` with apt when `program` is not on the PATH and this is a Debian machine
 * run as root; otherwise says how, and the tests that need it (`needs`) fail with the same advice.
 */
function ensureDebianPackage({ program, pkg, needs, alternative = '' }) {
  if (spawnSync('which', [program]).status === 0) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || spawnSync('which', ['apt-get']).status !== 0) {
    console.warn(`${program} is missing: ${needs} will fail. Install it (apt-get install ${pkg})${alternative}.`);
    return;
  }
  console.log(`Installing ${pkg} for ${needs} (apt-get install ${pkg})...`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', pkg],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: aptEnv });
    if (result.status !== 0) {
      console.warn(`apt-get ${args.join(' ')} failed (exit ${result.status}): ${needs} will fail.`);
      return;
    }
  }
}

/** The web app's end-to-end tests drive Debian's Chromium (never a downloaded browser). */
function ensureChromium() {
  if (process.env.SDAE_CHROMIUM) return;
  ensureDebianPackage({
    program: 'chromium',
    pkg: 'chromium',
    needs: 'the browser tests',
    alternative: ' or set SDAE_CHROMIUM to its path',
  });
}

/** The CLI's sweep tests start their own Debian redis-server (on a free port of 127.0.0.1) for BullMQ. */
function ensureRedis() {
  ensureDebianPackage({ program: 'redis-server', pkg: 'redis-server', needs: 'the sweep queue tests' });
}

/** Mesa's Vulkan driver version (Debian's mesa-vulkan-drivers), or undefined when it is not installed. */
function mesaVulkanVersion() {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'], { encoding: 'utf8' });
  return query.status === 0 && query.stdout.trim() !== '' ? query.stdout.trim() : undefined;
}

/** The Debian mirror apt already uses (deb822 .sources or a one-line sources.list). */
function debianMirror() {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const match = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (match) return match[1];
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The native engine's WebGPU tests run on lavapipe, Mesa's software Vulkan, which Dawn accepts
 * from Mesa 24 on: Debian bookworm has 22.3, bookworm-backports has 25. Adds that suite of the
 * mirror apt already uses and installs mesa-vulkan-drivers from it; elsewhere the tests skip
 * with the reason.
 */
function ensureMesaVulkan() {
  const version = mesaVulkanVersion();
  if (version !== undefined && Number(version.split('.')[0]) >= 24) return;
  const needs = "the native engine's WebGPU tests (they skip without it)";
  const advice = 'apt-get install -t bookworm-backports mesa-vulkan-drivers, after adding bookworm-backports to apt';
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  if (!root || spawnSync('which', ['apt-get']).status !== 0 || !/^VERSION_CODENAME=bookworm$/m.test(release)) {
    console.warn(`Mesa >= 24's Vulkan driver is missing (${version ?? 'not installed'}): ${needs}. Install it (${advice}).`);
    return;
  }
  const sources = '/etc/apt/sources.list.d/sdae-bookworm-backports.sources';
  const listed = spawnSync('grep', ['-rqs', 'bookworm-backports', '/etc/apt/sources.list', '/etc/apt/sources.list.d']).status === 0;
  if (!listed) {
    console.log(`Adding bookworm-backports of ${debianMirror()} to apt (${sources}) for mesa-vulkan-drivers...`);
    writeFileSync(
      sources,
      `Types: deb\nURIs: ${debianMirror()}\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    );
  }
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '-t', 'bookworm-backports', 'mesa-vulkan-drivers'],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: aptEnv });
    if (result.status !== 0) {
      console.warn(`apt-get ${args.join(' ')} failed (exit ${result.status}): ${needs}.`);
      return;
    }
  }
}

function workspaceDirectories() {
  return ['packages', 'apps'].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group))
          .map((name) => join(root, group, name))
          .filter((dir) => existsSync(join(dir, 'package.json')))
      : [],
  );
}

/** Sums the vitest JSON reports of every package and the packaging test's report. */
function summarise(turboCode, packCode) {
  let passed = 0;
  let failed = 0;
  const rows = [];
  for (const dir of workspaceDirectories()) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!manifest.scripts?.test) continue;
    const report = join(dir, '.reports', 'vitest.json');
    if (!existsSync(report)) {
      failed += 1;
      rows.push(`${manifest.name}: no test report (the test task did not run or crashed), counted as 1 failed`);
      continue;
    }
    const { numPassedTests, numFailedTests, numTotalTests, success } = JSON.parse(readFileSync(report, 'utf8'));
    // A test file that fails to load counts no test but fails the run: count it as a failure.
    const broken = !success && numFailedTests === 0 ? 1 : 0;
    passed += numPassedTests;
    failed += numFailedTests + broken;
    rows.push(`${manifest.name}: ${numPassedTests} passed, ${numFailedTests + broken} failed of ${numTotalTests}`);
  }
  const packReport = join(root, '.reports', 'pack-test.json');
  if (existsSync(packReport)) {
    const { passed: packPassed, failed: packFailed } = JSON.parse(readFileSync(packReport, 'utf8'));
    passed += packPassed;
    failed += packFailed;
    rows.push(`packaging: ${packPassed} passed, ${packFailed} failed`);
  } else {
    failed += 1;
    rows.push('packaging: no report, counted as 1 failed');
  }
  console.log('\n' + rows.join('\n'));
  if (turboCode !== 0) console.log('build, lint (formatting included), typecheck or a test task failed: see above.');
  if (packCode !== 0 && existsSync(packReport)) console.log('the packaging test failed: see above.');
  console.log(`tests: ${passed} passed, ${failed} failed`);
  return turboCode === 0 && packCode === 0 && failed === 0 ? 0 : 1;
}

const [task = 'test', ...rest] = process.argv.slice(2);
if (task === 'main') {
  install();
  const code = pnpm('exec', 'turbo', 'run', 'build', '--filter=@sdae/cli...', '--output-logs=errors-only');
  if (code !== 0) process.exit(code);
  // The main job: the Theano tutorial's real experiment (its dA, 784-500, 30 % masking, SGD lr 0.1,
  // batch 20 on the 50,000 training images, its 15 epochs), on the native engine where it loads,
  // and its report: about 52 s on this project's 2-core machine (3.3 s an epoch); flags
  // given after `--` override (`-- --split mini --epochs 3` for a short run).
  const experiment = ['da', '--split', 'theano', '--epochs', '15', '--hidden', '500', '--corruption', '0.3', '--out', 'runs/main'];
  process.exit(exec('node', [join(root, 'apps/cli/dist/main.js'), ...experiment, ...rest]));
} else if (task === 'test') {
  install();
  ensureChromium();
  ensureRedis();
  ensureMesaVulkan();
  for (const dir of [root, ...workspaceDirectories()]) rmSync(join(dir, '.reports'), { recursive: true, force: true });
  // Formatting is part of lint: prettier checks the whole tree (its config: .prettierrc.json).
  const formatCode = pnpm('exec', 'prettier', '--check', '--log-level', 'warn', '.');
  if (formatCode !== 0) console.log('prettier --check found unformatted files (run `npx -y pnpm@10.34.8 format`).');
  const turboCode = pnpm('exec', 'turbo', 'run', 'build', 'lint', 'typecheck', 'test', '--continue') || formatCode;
  const packCode = turboCode === 0 ? exec('node', [join(root, 'scripts/pack-test.mjs')]) : 1;
  process.exit(summarise(turboCode, packCode));
} else {
  console.error(`scripts/run.mjs: unknown task '${task}'; expected 'main' or 'test'.`);
  process.exit(2);
}
