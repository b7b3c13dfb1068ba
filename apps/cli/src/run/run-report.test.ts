import { describe, expect, it } from 'vitest';
import type { EpochLog } from '@sdae/train';
import { fineTuningSeries, reportSmoothing, trainingSeconds } from './run-report';

const epoch = (values: Partial<EpochLog>): EpochLog => ({ stage: 'finetune', epoch: 0, iterations: 10, cost: 1, seconds: 1, ...values });

describe('trainingSeconds', () => {
  it("sums the epochs' times, those of the runs a resumed run continued included", () => {
    expect(trainingSeconds([epoch({ seconds: 1.25 }), epoch({ epoch: 1, seconds: 2.5 }), epoch({ epoch: 2, seconds: 0.25 })])).toBe(4);
    expect(trainingSeconds([])).toBe(0);
  });
});

describe('reportSmoothing', () => {
  it('does not smooth up to 30 points, then averages over about a tenth of them, at most 0.995', () => {
    expect(reportSmoothing(30)).toBe(0);
    expect(reportSmoothing(100)).toBeCloseTo(0.9, 12);
    expect(reportSmoothing(1000)).toBeCloseTo(0.99, 12);
    expect(reportSmoothing(100_000)).toBe(0.995);
  });
});

describe('fineTuningSeries', () => {
  it('puts the training cost on the left and the measured error rates, in %, on the right', () => {
    const series = fineTuningSeries([
      epoch({ cost: 2, validationError: 0.25, testError: 0.3 }),
      epoch({ epoch: 1, cost: 1, validationError: 0.2 }),
    ]);
    expect(series.map(({ name, axis }) => [name, axis])).toEqual([
      ['training cost', undefined],
      ['validation error', 'right'],
      ['test error at new bests', 'right'],
    ]);
    expect(series[1]!.points).toEqual([
      [0, 25],
      [1, 20],
    ]);
    expect(series[2]!.points[1]![1]).toBeNaN();
  });

  it('leaves out the error curves of a run without a validation set', () => {
    expect(fineTuningSeries([epoch({ cost: 2 })]).map(({ name }) => name)).toEqual(['training cost']);
  });
});
