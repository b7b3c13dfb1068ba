// Benchmark (not a test): how long loading and validating full MNIST takes, per split.
// Run with `pnpm bench` at the root, or `node bench/load-mnist.bench.mjs [rounds]` after a build.
import { loadMnist } from '@sdae/datasets';

const rounds = Number(process.argv[2] ?? 7);
const target = 1500;
const rows = [];
for (const split of ['theano', 'standard', 'mini']) {
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await loadMnist({ split });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  rows.push({ split, median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] });
}
console.log(`loadMnist over ${rounds} rounds (ms), Node ${process.version}`);
console.log('split       median     min     max');
for (const row of rows) {
  console.log(
    `${row.split.padEnd(10)} ${row.median.toFixed(0).padStart(7)} ${row.min.toFixed(0).padStart(7)} ${row.max.toFixed(0).padStart(7)}`,
  );
}
const worst = Math.max(...rows.map((row) => row.median));
console.log(`slowest median ${worst.toFixed(0)} ms: ${worst < target ? 'within' : 'OVER'} the ${target} ms target`);
