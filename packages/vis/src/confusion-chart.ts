import { InvalidArgumentError, requireKnownKeys, type KnownKeys } from '@sdae/core';
import { escapeXml, svgOpening } from './svg-chart';

/** Options of {@link confusionMatrixChart}. */
export interface ConfusionMatrixChartOptions {
  /** @default 'Confusion matrix' */
  title?: string;
  /** The class names, one per row. @default '0', '1', ... */
  classNames?: string[];
  /** The side of one cell in pixels. @default 36 */
  cellSize?: number;
}

/**
 * A confusion matrix (`matrix[label][predicted]`, e.g. from `confusionMatrix` in @sdae/train) as
 * an SVG heat map: rows are true classes, columns predictions, each cell shaded by its share of
 * its row and labelled with its count.
 *
 * @throws {InvalidArgumentError} when the matrix is not square or holds a negative or non-integer count.
 */
export function confusionMatrixChart(matrix: readonly (readonly number[])[], options: ConfusionMatrixChartOptions = {}): string {
  requireKnownKeys('confusionMatrixChart', 'options', options, {
    title: true,
    classNames: true,
    cellSize: true,
  } satisfies KnownKeys<ConfusionMatrixChartOptions>);
  const size = matrix.length;
  if (size === 0 || !matrix.every((row) => row.length === size && row.every((count) => Number.isInteger(count) && count >= 0))) {
    throw new InvalidArgumentError(
      'matrix',
      matrix,
      `confusionMatrixChart: matrix must be square (n x n) with whole, non-negative counts; received ${size} rows of lengths ${matrix.map((row) => row.length).join(', ')}.`,
    );
  }
  const cell = options.cellSize ?? 36;
  const names = options.classNames ?? matrix.map((_, index) => String(index));
  const left = 70;
  const top = 70;
  const width = left + size * cell + 20;
  const height = top + size * cell + 20;
  const parts = [
    ...svgOpening(width, height, 11),
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title ?? 'Confusion matrix')}</text>`,
    `<text x="${left + (size * cell) / 2}" y="42" text-anchor="middle">predicted</text>`,
    `<text transform="translate(16 ${top + (size * cell) / 2}) rotate(-90)" text-anchor="middle">true class</text>`,
  ];
  matrix.forEach((row, label) => {
    const total = row.reduce((sum, count) => sum + count, 0);
    parts.push(
      `<text x="${left - 6}" y="${top + label * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(names[label] ?? String(label))}</text>`,
    );
    parts.push(
      `<text x="${left + label * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${escapeXml(names[label] ?? String(label))}</text>`,
    );
    row.forEach((count, predicted) => {
      const share = total === 0 ? 0 : count / total;
      const shade = Math.round(255 - share * 200);
      const fill = label === predicted ? `rgb(${shade},${Math.round(255 - share * 120)},${shade})` : `rgb(255,${shade},${shade})`;
      const x = left + predicted * cell;
      const y = top + label * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle">${count}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
