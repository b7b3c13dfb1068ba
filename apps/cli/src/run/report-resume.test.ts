import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../cli';
import { runCaptured } from '../test-cli';

/** The fields of history.json these tests read. */
interface EpochLogLike {
  epoch: number;
  seconds: number;
}

describe('a resumed run (sdae mlp --resume)', () => {
  it("reports the whole run: history.json, the report's training time and its log cover the earlier run's epochs", async () => {
    const root = mkdtempSync(join(tmpdir(), 'sdae-report-resume-'));
    try {
      const flags = ['mlp', '--split', 'mini', '--limit', '100', '--hidden', '10', '--batch-size', '10', '--backend', 'cpu'];
      const first = await runCaptured([...flags, '--epochs', '2', '--out', join(root, 'first')]);
      expect(first.code, first.err).toBe(EXIT.ok);
      const checkpoint = join(root, 'first', 'checkpoint.sdae');
      const out = join(root, 'resumed');
      const resumed = await runCaptured([...flags, '--epochs', '3', '--out', out, '--resume', checkpoint]);
      expect(resumed.code, resumed.err).toBe(EXIT.ok);
      expect(resumed.out).toContain(`Resuming from ${checkpoint}: 2 epoch(s) done (in the report's log).`);
      // This run trained only epoch 2 ...
      expect(resumed.out).not.toMatch(/^epoch [01], cost/m);
      const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as EpochLogLike[];
      // ... but its history holds the earlier run's epochs, as the first run's history.json has them.
      expect(history.map((log) => log.epoch)).toEqual([0, 1, 2]);
      const earlier = JSON.parse(readFileSync(join(root, 'first', 'history.json'), 'utf8')) as EpochLogLike[];
      expect(history.slice(0, 2)).toEqual(earlier);
      const report = readFileSync(join(out, 'report.html'), 'utf8');
      const total = history.reduce((sum, log) => sum + log.seconds, 0);
      expect(report).toContain(`<tr><th>training time</th><td>${total.toFixed(1)} s</td></tr>`);
      expect(report).toContain('<tr><th>epochs</th><td>3</td></tr>');
      const log = /<pre class="log">([\s\S]*?)<\/pre>/.exec(report)![1]!;
      expect(log.match(/^epoch \d+(?=, cost)/gm)).toEqual(['epoch 0', 'epoch 1', 'epoch 2']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
