import { describe, expect, it } from 'vitest';
import { bucketMeans, chartOf, costChart } from './charts';

describe('bucketMeans', () => {
  it('averages consecutive buckets and places each point at its bucket middle', () => {
    expect(bucketMeans([4, 2, 6, 8], 2)).toEqual([
      [0.5, 3],
      [2.5, 7],
    ]);
  });

  it('keeps every value when there are fewer than maxPoints', () => {
    expect(bucketMeans([1, 2, 3], 10)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('gives at most maxPoints points of equal buckets', () => {
    // 1,001 values in buckets of ceil(1001 / 100) = 11: 91 points, the last bucket 990..1000.
    const points = bucketMeans(
      Array.from({ length: 1001 }, (_, index) => index),
      100,
    );
    expect(points.length).toBe(91);
    expect(points.at(-1)).toEqual([995, 995]);
  });
});

describe('chartOf', () => {
  it('is empty while no series has a point', () => {
    expect(chartOf([{ name: 'cost', points: [] }], { title: 'Cost' })).toBe('');
    expect(costChart([{ name: 'cost', values: [] }], 'Cost', 'cost')).toBe('');
  });

  it('draws only the series that have points', () => {
    const svg = costChart(
      [
        { name: 'layer 0', values: [3, 2, 1] },
        { name: 'layer 1', values: [] },
      ],
      'Pretraining cost',
      'cost',
    );
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('layer 0');
    expect(svg).not.toContain('layer 1');
  });

  it('puts a series with axis right (an accuracy) on a second axis and draws each series faint under its moving average', () => {
    const svg = costChart(
      [
        { name: 'loss', values: [2.3, 1.9, 1.2, 0.8] },
        { name: 'accuracy', values: [0.1, 0.4, 0.7, 0.9], axis: 'right' },
      ],
      'Training minibatches',
      'loss',
      'minibatch accuracy',
    );
    expect(svg.match(/class="(raw|smoothed)"/g)).toEqual(['class="raw"', 'class="smoothed"', 'class="raw"', 'class="smoothed"']);
    expect(svg).toContain('>accuracy (right axis)</tspan>');
    expect(svg).toContain('>minibatch accuracy</text>');
    // The right axis spans 0.1..0.9, not the loss' 0.8..2.3.
    expect(svg.match(/class="y2-tick"[^>]*>([\d.]+)</g)?.map((tick) => tick.replace(/.*>/, '').replace('<', ''))).toEqual([
      '0.2',
      '0.4',
      '0.6',
      '0.8',
    ]);
  });
});
