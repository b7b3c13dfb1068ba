import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { escapeXml, lineChart, niceTicks } from './svg-chart';

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
    // The plot spans x 64..554 and y 40..350 (640 x 400 less the margins); y runs from 53.8 to 80.
    // (0, 62.36) -> (64, 350 - (62.36 - 53.8) / (80 - 53.8) * 310) = (64, 248.72).
    const [first] = (polylines[0].getAttribute('points') ?? '').split(' ');
    expect(first).toBe('64,248.72');
  });

  it('marks each point of a short series (a one-epoch run is a dot, not an empty chart), not of a long one', () => {
    const svg = lineChart([
      { name: 'one epoch', points: [[0, 478.6]] },
      { name: 'long', points: Array.from({ length: 31 }, (_, index): [number, number] => [index, 400 - index]) },
    ]);
    const circles = Array.from(parseSvg(svg).getElementsByTagName('circle'));
    expect(circles).toHaveLength(1);
    expect(circles[0]!.getAttribute('fill')).toBe('#4e79a7');
    // x runs 0..30 over 64..554: x = 0 is at 64; y runs 370..478.6, so 478.6 is the plot's top, 40.
    expect([circles[0]!.getAttribute('cx'), circles[0]!.getAttribute('cy')]).toEqual(['64', '40']);
  });

  it('refuses no series and a series without a finite point', () => {
    expect(() => lineChart([])).toThrow('lineChart: series must hold at least one line; received none.');
    expect(() => lineChart([{ name: 'diverged', points: [[0, Number.NaN]] }])).toThrow(
      /series "diverged" has no point with a finite x and y/,
    );
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
