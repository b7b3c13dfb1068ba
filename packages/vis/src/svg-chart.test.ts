import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { escapeXml, lineChart, logTicks, niceTicks, smoothEma, wrapText } from './svg-chart';
import { axisDomain, formatTicks } from './ticks';

function parseSvg(svg: string) {
  const errors: string[] = [];
  const document = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(
    svg,
    'image/svg+xml',
  );
  expect(errors).toEqual([]);
  return document;
}

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten inside the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(53.8, 81.2, 5)).toEqual([55, 60, 65, 70, 75, 80]);
    expect(niceTicks(0, 2999, 5)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(0, 2, 5, true)).toEqual([0, 1, 2]);
  });
});

describe('lineChart', () => {
  it('draws a parseable SVG with a polyline per series, a legend, escaped labels and a break at NaN', () => {
    const svg = lineChart(
      [
        {
          name: 'corruption 0',
          points: [
            [0, 62.36],
            [1, 54.82],
            [2, 53.8],
          ],
        },
        {
          name: 'ReLU <scale 1>',
          points: [
            [0, 80],
            [1, Number.NaN],
            [2, 70],
            [3, 65],
          ],
        },
      ],
      { title: 'dA cost & more', xLabel: 'epoch', yLabel: 'cost' },
    );
    const document = parseSvg(svg);
    const polylines = Array.from(document.getElementsByTagName('polyline'));
    expect(polylines).toHaveLength(3); // the NaN splits the second series in two
    expect(polylines[0].getAttribute('stroke')).toBe('#4e79a7');
    const texts = Array.from(document.getElementsByTagName('text')).map((text) => text.textContent);
    expect(texts).toContain('dA cost & more');
    expect(texts).toContain('ReLU <scale 1>');
    expect(texts).toContain('epoch');
    // The plot spans x 64..616 and y 40..326 (640 x 400 less the margins: 64 left, 24 right, 40
    // top, 74 below for ticks, x label and one legend row); y runs from 53.8 to 80.
    // (0, 62.36) -> (64, 326 - (62.36 - 53.8) / (80 - 53.8) * 286) = (64, 232.56).
    const [first] = (polylines[0].getAttribute('points') ?? '').split(' ');
    expect(first).toBe('64,232.56');
  });

  it('marks each point of a short series (a one-epoch run is a dot, not an empty chart), not of a long one', () => {
    const svg = lineChart([
      { name: 'one epoch', points: [[0, 478.6]] },
      { name: 'long', points: Array.from({ length: 31 }, (_, index): [number, number] => [index, 400 - index]) },
    ]);
    const circles = Array.from(parseSvg(svg).getElementsByTagName('circle')).filter((circle) => circle.getAttribute('class') !== 'hover');
    expect(circles).toHaveLength(1);
    expect(circles[0]!.getAttribute('fill')).toBe('#4e79a7');
    // x runs 0..30 over 64..616: x = 0 is at 64; y runs 370..478.6, so 478.6 is the plot's top, 40.
    expect([circles[0]!.getAttribute('cx'), circles[0]!.getAttribute('cy')]).toEqual(['64', '40']);
  });

  it('refuses no series and a series without a finite point', () => {
    expect(() => lineChart([])).toThrow('lineChart: series must hold at least one line; received none.');
    expect(() => lineChart([{ name: 'diverged', points: [[0, Number.NaN]] }])).toThrow(
      /series "diverged" has no point with a finite x and y/,
    );
  });
});

describe('logTicks', () => {
  it('puts ticks at the powers of ten inside the range, every second one over many decades', () => {
    expect(logTicks(0.01, 100)).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(logTicks(1, 1e12)).toEqual([1, 100, 1e4, 1e6, 1e8, 1e10, 1e12]);
  });

  it('falls back to 1-2-5 steps, then to round linear steps, inside one decade', () => {
    expect(logTicks(3, 70)).toEqual([5, 10, 20, 50]);
    expect(logTicks(60, 70)).toEqual([60, 62, 64, 66, 68, 70]);
  });

  it('has no ticks for a range that is not positive', () => {
    expect(logTicks(0, 10)).toEqual([]);
    expect(logTicks(-1, 10)).toEqual([]);
  });
});

describe('smoothEma', () => {
  it("is TensorBoard's debiased moving average", () => {
    // weight 0.5: averages 0.5, 1.25, 2.125 over debias factors 0.5, 0.75, 0.875.
    const smoothed = smoothEma([1, 2, 3], 0.5);
    expect(smoothed[0]).toBeCloseTo(1, 12);
    expect(smoothed[1]).toBeCloseTo(5 / 3, 12);
    expect(smoothed[2]).toBeCloseTo(17 / 7, 12);
    expect(smoothEma([4, 8], 0)).toEqual([4, 8]);
  });

  it('leaves a non-finite value out of the average and NaN in the output', () => {
    const smoothed = smoothEma([1, Number.NaN, 2], 0.5);
    expect(smoothed[1]).toBeNaN();
    expect(smoothed[2]).toBeCloseTo(5 / 3, 12);
  });

  it('refuses a weight outside [0, 1)', () => {
    expect(() => smoothEma([1], 1)).toThrow('smoothEma: weight must be a finite number in [0, 1); received 1.');
  });
});

describe('wrapText', () => {
  it('breaks at spaces and cuts only a word longer than a line', () => {
    expect(wrapText('sigmoid from sigmoid pretrained', 12)).toEqual(['sigmoid from', 'sigmoid', 'pretrained']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('short', 12)).toEqual(['short']);
  });
});

describe('lineChart legend', () => {
  const legendTexts = (svg: string) =>
    Array.from(parseSvg(svg).getElementsByTagName('text'))
      .filter((text) => text.getAttribute('class') === 'legend')
      .map((text) => Array.from(text.getElementsByTagName('tspan')));

  it('sits below the plot and shows every name in full, in rows that fit the width', () => {
    const names = ['sigmoid from sigmoid-pretrained weights', 'relu from relu-pretrained weights', 'tanh from scratch'];
    const svg = lineChart(
      names.map((name, index) => ({ name, points: [[0, index] as const, [1, index + 1] as const] })),
      { width: 400, height: 300 },
    );
    const legends = legendTexts(svg);
    expect(legends.map((spans) => spans.map((span) => span.textContent).join(' '))).toEqual(names);
    const plot = Array.from(parseSvg(svg).getElementsByTagName('rect'))[1]!;
    const plotBottom = Number(plot.getAttribute('y')) + Number(plot.getAttribute('height'));
    for (const spans of legends) {
      for (const span of spans) {
        expect(Number(span.getAttribute('y'))).toBeGreaterThan(plotBottom);
        // 7.44 px is the chart's generous estimate of a 12 px character's width.
        expect(Number(span.getAttribute('x')) + (span.textContent ?? '').length * 7.44).toBeLessThanOrEqual(400);
      }
    }
    // 28 + 39 * 7.44 = 318 px and 28 + 33 * 7.44 = 273.5 px cannot share a 368 px row: three rows of 20 px.
    expect(new Set(legends.map((spans) => spans[0]!.getAttribute('y'))).size).toBe(3);
  });

  it('wraps a name wider than the chart onto several lines', () => {
    const name = 'a very long series name that describes the corruption, activation and learning rate of a run';
    const svg = lineChart([{ name, points: [[0, 1]] }], { width: 300, height: 300 });
    const [spans] = legendTexts(svg);
    // (300 - 32 - 28) / 7.44 = 32 characters a line.
    expect(spans!.map((span) => span.textContent)).toEqual(wrapText(name, 32));
    expect(spans!.length).toBeGreaterThan(2);
  });

  it('grows the SVG when the legend needs more height than the chart has', () => {
    const series = Array.from({ length: 40 }, (_, index) => ({ name: `corruption level ${index}`, points: [[0, index] as const] }));
    const svg = lineChart(series, { width: 400, height: 200 });
    expect(Number(parseSvg(svg).documentElement!.getAttribute('height'))).toBeGreaterThan(200);
  });
});

describe('lineChart options', () => {
  const polylines = (svg: string) => Array.from(parseSvg(svg).getElementsByTagName('polyline'));
  const ys = (polyline: { getAttribute: (name: string) => string | null }) =>
    (polyline.getAttribute('points') ?? '').split(' ').map((point) => Number(point.split(',')[1]));

  it("places values by their logarithm with yScale 'log'", () => {
    const svg = lineChart(
      [
        {
          name: 'cost',
          points: [
            [0, 1],
            [1, 10],
            [2, 100],
          ],
        },
      ],
      { yScale: 'log' },
    );
    // One legend row: the plot spans y 40..326, so 10 (halfway between 1 and 100 in log10) is at 183.
    expect(ys(polylines(svg)[0]!)).toEqual([326, 183, 40]);
    const ticks = Array.from(parseSvg(svg).getElementsByTagName('text'))
      .filter((text) => text.getAttribute('text-anchor') === 'end')
      .map((text) => text.textContent);
    expect(ticks).toEqual(['1', '10', '100']);
  });

  it("refuses a value that is not positive with yScale 'log', naming the series and the point", () => {
    expect(() =>
      lineChart(
        [
          {
            name: 'error',
            points: [
              [0, 0.5],
              [3, 0],
            ],
          },
        ],
        { yScale: 'log' },
      ),
    ).toThrow(`lineChart: yScale 'log' needs values > 0, but series "error" has y = 0 at x = 3.`);
  });

  it('draws the raw line faint and the moving average strong with smoothing', () => {
    const svg = lineChart(
      [
        {
          name: 'minibatch cost',
          points: [
            [0, 1],
            [1, 2],
            [2, 3],
          ],
        },
      ],
      { smoothing: 0.5 },
    );
    const [raw, smoothed] = polylines(svg);
    expect(raw!.getAttribute('stroke-opacity')).toBe('0.3');
    expect(smoothed!.getAttribute('stroke-opacity')).toBeNull();
    // y 1..3 over 326..40: 1 -> 326, 5/3 -> 326 - (2/3) / 2 * 286 = 230.67, 17/7 -> 326 - (10/7) / 2 * 286 = 121.71.
    expect(ys(smoothed!)).toEqual([326, 230.67, 121.71]);
  });

  it('draws validation points dashed in the colour of their series, with a legend entry', () => {
    const svg = lineChart([
      {
        name: 'loss',
        points: [
          [0, 3],
          [1, 2],
        ],
        validation: [
          [0, 3.5],
          [1, 2.5],
        ],
      },
    ]);
    const [training, validation] = polylines(svg);
    expect(validation!.getAttribute('stroke')).toBe(training!.getAttribute('stroke'));
    expect(validation!.getAttribute('stroke-dasharray')).toBe('6 4');
    expect(svg).toContain('>loss (validation)</tspan>');
  });

  it("reads axis: 'right' series on a second axis with its own ticks and label", () => {
    const svg = lineChart(
      [
        {
          name: 'loss',
          points: [
            [0, 2.3],
            [1, 0.4],
          ],
        },
        {
          name: 'accuracy',
          points: [
            [0, 0.5],
            [1, 0.9],
          ],
          axis: 'right',
        },
      ],
      { yLabel: 'loss', y2Label: 'accuracy' },
    );
    const [loss, accuracy] = polylines(svg);
    // Each axis spans its own series: both start at the bottom or top of the plot (40..326).
    expect(ys(loss!)).toEqual([40, 326]);
    expect(ys(accuracy!)).toEqual([326, 40]);
    const rightTicks = Array.from(parseSvg(svg).getElementsByTagName('text'))
      .filter((text) => text.getAttribute('class') === 'y2-tick')
      .map((text) => text.textContent);
    expect(rightTicks).toEqual(['0.5', '0.6', '0.7', '0.8', '0.9']);
    expect(svg).toContain('>accuracy (right axis)</tspan>');
    expect(svg).toContain('>accuracy</text>');
  });

  it('refuses an invalid smoothing or scale', () => {
    expect(() => lineChart([{ name: 'a', points: [[0, 1]] }], { smoothing: 1 })).toThrow(
      'lineChart: smoothing must be a finite number in [0, 1); received 1.',
    );
    expect(() => lineChart([{ name: 'a', points: [[0, 1]] }], { yScale: 'log2' as never })).toThrow(
      `lineChart: yScale must be one of 'linear', 'log'; received "log2".`,
    );
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

/** The text of every tick label of a chart: x, left and right axes. */
function tickLabels(svg: string): string[] {
  return Array.from(parseSvg(svg).getElementsByTagName('text'))
    .filter((text) => ['middle', 'end', 'start'].includes(text.getAttribute('text-anchor') ?? '') && !text.hasAttribute('transform'))
    .filter((text) => text.getAttribute('font-size') === null && text.getAttribute('class') !== 'legend')
    .map((text) => text.textContent ?? '')
    .filter((text) => text !== '' && text !== 'epoch');
}

describe('lineChart ticks on every domain', () => {
  it('gives a one-point chart (a one-epoch run) round y ticks around the value, never the raw value', () => {
    const labels = tickLabels(lineChart([{ name: 'cost', points: [[0, 0.3969378304481506]] }], { xLabel: 'epoch' }));
    expect(labels).not.toContain('0.3969378304481506');
    // x: the one epoch; y: 0.36 to 0.42 around 0.397 (+-10 %).
    expect(labels).toEqual(['0', '0.36', '0.38', '0.40', '0.42']);
  });

  it('gives a constant series several ticks, and a constant 0 the range 0 to 1', () => {
    expect(
      tickLabels(
        lineChart([
          {
            name: 'flat',
            points: [
              [0, 5],
              [1, 5],
              [2, 5],
            ],
          },
        ]),
      ),
    ).toEqual(['0', '1', '2', '4.6', '4.8', '5.0', '5.2', '5.4']);
    expect(
      tickLabels(
        lineChart([
          {
            name: 'zero',
            points: [
              [0, 0],
              [1, 0],
            ],
          },
        ]),
      ).slice(2),
    ).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  });

  it('labels a tiny range with the decimals its step needs, all alike, and widens the margin to hold them', () => {
    const svg = lineChart([
      {
        name: 'tiny',
        points: [
          [0, 1000.0001],
          [1, 1000.0003],
        ],
      },
    ]);
    const labels = tickLabels(svg).slice(2);
    expect(labels).toEqual(['1000.00010', '1000.00015', '1000.00020', '1000.00025', '1000.00030']);
    const plot = Array.from(parseSvg(svg).getElementsByTagName('rect')).find((rect) => rect.getAttribute('fill') === 'none')!;
    // 10 characters of at most 7.44 px, plus the axis label's room: the plot starts at 109 px, not 64.
    expect(Number(plot.getAttribute('x'))).toBe(109);
  });
});

describe('lineChart hover values', () => {
  it('puts each point’s series, value and x in an SVG <title> on its marker', () => {
    const svg = lineChart(
      [
        {
          name: 'cost',
          points: [
            [0, 81.234567],
            [1, 70.5],
          ],
        },
      ],
      { xLabel: 'epoch' },
    );
    const titles = Array.from(parseSvg(svg).getElementsByTagName('title')).map((title) => title.textContent);
    expect(titles).toEqual(['cost: 81.235 at epoch 0', 'cost: 70.5 at epoch 1']);
  });

  it('gives a long series invisible hover targets, at most about 100 of them, the last point included', () => {
    const points = Array.from({ length: 1000 }, (_, index): [number, number] => [index, index / 10]);
    const hovers = Array.from(parseSvg(lineChart([{ name: 'loss', points }])).getElementsByTagName('circle'));
    expect(hovers.every((circle) => circle.getAttribute('class') === 'hover' && circle.getAttribute('fill') === 'transparent')).toBe(true);
    expect(hovers).toHaveLength(101);
    expect(hovers.at(-1)!.getElementsByTagName('title')[0]!.textContent).toBe('loss: 99.9 at x 999');
  });
});

describe('formatTicks', () => {
  it('gives every tick the decimals of the step', () => {
    expect(formatTicks([0, 0.5, 1])).toEqual(['0.0', '0.5', '1.0']);
    expect(formatTicks([0.3, 0.35, 0.4])).toEqual(['0.30', '0.35', '0.40']);
    expect(formatTicks([55, 60, 65])).toEqual(['55', '60', '65']);
  });

  it('uses exponents for very large and very small magnitudes, and four digits for one tick', () => {
    expect(formatTicks([0, 500000, 1000000])).toEqual(['0', '5.0e+5', '1.0e+6']);
    expect(formatTicks([0.0001, 0.0002])).toEqual(['1.0e-4', '2.0e-4']);
    expect(formatTicks([0.3969378304481506])).toEqual(['0.3969']);
  });

  it('writes log ticks in their shortest form', () => {
    expect(formatTicks([0.01, 0.1, 1, 10, 100], 'log')).toEqual(['0.01', '0.1', '1', '10', '100']);
  });
});

describe('axisDomain', () => {
  it('keeps a real range and pads a constant one', () => {
    expect(axisDomain(1, 2)).toEqual([1, 2]);
    expect(axisDomain(10, 10)).toEqual([9, 11]);
    expect(axisDomain(0, 0)).toEqual([0, 1]);
    expect(axisDomain(4, 4, 'log')).toEqual([2, 8]);
  });
});
