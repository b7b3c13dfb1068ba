import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { confusionMatrixChart } from './confusion-chart';

describe('confusionMatrixChart', () => {
  it('draws one labelled cell per count in a parseable SVG, the diagonal in green', () => {
    const svg = confusionMatrixChart(
      [
        [8, 2],
        [1, 9],
      ],
      { classNames: ['bars', 'stripes'] },
    );
    const errors: string[] = [];
    const document = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(
      svg,
      'image/svg+xml',
    );
    expect(errors).toEqual([]);
    const cells = Array.from(document.getElementsByTagName('rect')).slice(1);
    expect(cells).toHaveLength(4);
    // Row 0: 8 of 10 on the diagonal -> share 0.8: rgb(95,159,95); 2 of 10 off it -> rgb(255,215,215).
    expect(cells.map((cell) => cell.getAttribute('fill'))).toEqual([
      'rgb(95,159,95)',
      'rgb(255,215,215)',
      'rgb(255,235,235)',
      'rgb(75,147,75)',
    ]);
    const texts = Array.from(document.getElementsByTagName('text')).map((text) => text.textContent);
    expect(texts).toEqual(expect.arrayContaining(['8', '2', '1', '9', 'bars', 'stripes']));
  });

  it('refuses a matrix that is not square', () => {
    expect(() => confusionMatrixChart([[1, 2]])).toThrow(
      'confusionMatrixChart: matrix must be square (n x n) with whole, non-negative counts; received 1 rows of lengths 2.',
    );
  });
});
