// Times the fixed cost of `sdae da` (issue 29: process start to the first step, at most 0.8 s on
// 50,000 images, so --limit 50000): runs `sdae da --split theano --epochs 1 --hidden 500
// --corruption 0.3 --verbose` (with --limit 1000 by default, so that the steps do not hide the
// rest; only the images a run reads are converted, so a limit shortens the start-up too) and reads
// the start-up phases it prints at its first step, plus the whole process's seconds. Given several
// --cli builds (apps/cli/dist/main.js of other checkouts), it runs them in turn, round after
// round, to compare them on a shared machine.
// Not a test: nothing fails on timing.
//
//   node src/startup.mjs [--cli ../apps/cli/dist/main.js]... [--repeat 5] [--limit 1000] [--threads 2] [--command "cnn --preset lenet --epochs 1 --split theano"]
//
// --command replaces `da --split theano --epochs 1 --hidden 500 --corruption 0.3` (--limit,
// --verbose and --out are added to it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './compare.mjs';
import { markdownTable } from './report.mjs';

const DEFAULT_CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const { values } = parseArgs({
  options: {
    cli: { type: 'string', multiple: true, default: [DEFAULT_CLI] },
    repeat: { type: 'string', default: '5' },
    limit: { type: 'string', default: '1000' },
    threads: { type: 'string', default: '2' },
    command: { type: 'string', default: 'da --split theano --epochs 1 --hidden 500 --corruption 0.3' },
  },
});
const builds = values.cli.map((path) => resolve(path));
const repeat = Number(values.repeat);
const scratch = mkdtempSync(join(os.tmpdir(), 'sdae-startup-'));
const loadAtStart = os.loadavg()[0];
console.log(`1-minute load average at the start: ${loadAtStart.toFixed(2)}`);

/** One run: the phases (ms since process start) its --verbose line gives, and its seconds. */
function runOnce(cli, index) {
  const out = join(scratch, String(index));
  const args = [cli, ...values.command.split(' ').filter((word) => word !== ''), '--limit', values.limit, '--verbose'];
  const started = performance.now();
  const child = spawnSync(process.execPath, [...args, '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, SDAE_NATIVE_THREADS: values.threads },
  });
  const seconds = (performance.now() - started) / 1000;
  rmSync(out, { recursive: true, force: true });
  const line = child.stdout.split('\n').find((text) => text.startsWith('start-up (ms since process start): '));
  if (child.status !== 0 || line === undefined) return { error: (child.stderr || child.stdout).trim().split('\n').pop(), seconds };
  const phases = Object.fromEntries(
    line
      .slice(line.indexOf(': ') + 2)
      .split(', ')
      .map((entry) => {
        const at = entry.lastIndexOf(' ');
        return [entry.slice(0, at), Number(entry.slice(at + 1))];
      }),
  );
  return { phases, seconds };
}

const results = builds.map(() => []);
let index = 0;
try {
  for (let round = 0; round < repeat; round += 1)
    builds.forEach((cli, build) => {
      const result = runOnce(cli, (index += 1));
      results[build].push(result);
      const text =
        result.error ??
        Object.entries(result.phases)
          .map(([phase, ms]) => `${phase} ${ms}`)
          .join(', ');
      console.log(`#${round + 1} ${cli}: ${text}; ${result.seconds.toFixed(2)} s (load ${os.loadavg()[0].toFixed(1)})`);
    });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const phaseNames = [...new Set(results.flat().flatMap((result) => Object.keys(result.phases ?? {})))];
const rows = builds.map((cli, build) => {
  const ok = results[build].filter((result) => result.phases !== undefined);
  const cell = (values) => `${Math.min(...values).toFixed(0)} / ${median(values).toFixed(0)}`;
  return [
    cli,
    String(ok.length),
    ...phaseNames.map((phase) => cell(ok.map((result) => result.phases[phase]).filter(Number.isFinite))),
    `${Math.min(...ok.map((result) => result.seconds)).toFixed(2)} / ${median(ok.map((result) => result.seconds)).toFixed(2)}`,
  ];
});
console.log(
  `\n\`sdae ${values.command}\` with --limit ${values.limit}, ${repeat} rounds in turn; 1-minute load ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end; ms since process start, best / median:\n`,
);
console.log(markdownTable(['build', 'runs', ...phaseNames.map((phase) => `${phase} ms`), 'whole process s'], rows));
