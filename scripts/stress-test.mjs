#!/usr/bin/env node
// Runs a command (by default the whole test suite, `npm test`) while CPU-bound processes keep
// every core busy, as a shared CI machine or a laptop compiling beside the tests would: a test that
// waits on wall time (a fixed sleep, "within 5 s", kills timed against a measured run) fails here
// and passes on a quiet machine. Tests must wait on events (printed lines, process exits).
//
//   node scripts/stress-test.mjs                          # npm test once, beside 2 busy processes
//   node scripts/stress-test.mjs --runs 3                 # three times in a row; stops at the first failure
//   cd apps/cli && node ../../scripts/stress-test.mjs --burners 4 -- npx vitest run src/interrupt.test.ts
//
// Exits with the first failing run's exit code (0 when every run passed) and prints each run's
// result and time. The busy processes are ended however this one ends.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** `--runs N`, `--burners N` and the command after `--` (or the first argument that is not a flag). */
function parseArguments(argv) {
  const options = { runs: 1, burners: 2, command: ['npm', 'test'], cwd: root };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === '--runs' || argument === '--burners') {
      const value = Number(argv[++index]);
      if (!Number.isSafeInteger(value) || value < 1 || value > 64) {
        console.error(`stress-test: ${argument} expects a whole number from 1 to 64; received ${argv[index]}.`);
        process.exit(2);
      }
      options[argument.slice(2)] = value;
    } else if (argument === '--help' || argument === '-h') {
      console.log(
        'usage: node scripts/stress-test.mjs [--runs N] [--burners N] [-- command args...]  (default: npm test, 1 run, 2 burners)',
      );
      process.exit(0);
    } else {
      const rest = argv.slice(argument === '--' ? index + 1 : index);
      // A command of one's own runs where this script was started (a package's folder, say).
      if (rest.length > 0) Object.assign(options, { command: rest, cwd: process.cwd() });
      break;
    }
  }
  return options;
}

/** A process spinning on the CPU until killed. */
function startBurner() {
  return spawn(process.execPath, ['-e', 'for (;;) Math.sqrt(Math.random());'], { stdio: 'ignore' });
}

const options = parseArguments(process.argv.slice(2));
const burners = Array.from({ length: options.burners }, startBurner);
const stopBurners = () => {
  for (const burner of burners) burner.kill('SIGKILL');
};
process.on('exit', stopBurners);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** Runs the command once; resolves with its exit code (1 for a signal). */
function runOnce() {
  return new Promise((resolve) => {
    // TURBO_FORCE: every run executes its tasks; turbo would otherwise replay the first run's
    // cached test results and a second run under load would prove nothing.
    const child = spawn(options.command[0], options.command.slice(1), {
      cwd: options.cwd,
      stdio: 'inherit',
      env: { ...process.env, TURBO_FORCE: 'true' },
    });
    child.on('error', (error) => {
      console.error(`stress-test: cannot run ${options.command.join(' ')}: ${error.message}`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

console.log(`stress-test: ${options.command.join(' ')}, ${options.runs} run(s), beside ${options.burners} CPU-bound processes`);
let failed = 0;
for (let run = 1; run <= options.runs; run++) {
  const started = performance.now();
  const code = await runOnce();
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  console.log(`stress-test: run ${run} of ${options.runs}: ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${minutes} min`);
  if (code !== 0) {
    failed = code;
    break;
  }
}
process.exit(failed);
