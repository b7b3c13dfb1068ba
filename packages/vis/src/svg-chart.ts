import { InvalidArgumentError, requireKnownKeys, requirePositiveInteger, type KnownKeys } from '@sdae/core';

/** One line of a chart: a name for the legend and its points. */
export interface LineSeries {
  name: string;
  /** `[x, y]` pairs; a non-finite y (a diverged run) breaks the line there. */
  points: ReadonlyArray<readonly [number, number]>;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** Shown above the plot. @default '' */
  title?: string;
  /** Under the x axis. @default '' */
  xLabel?: string;
  /** Beside the y axis. @default '' */
  yLabel?: string;
  /** Width of the SVG in pixels. @default 640 */
  width?: number;
  /** Height of the SVG in pixels. @default 400 */
  height?: number;
}

/** Ten distinguishable colours (the Tableau 10 palette), cycled by series. */
export const SERIES_COLORS: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** The start of a standalone SVG document with a white background. */
export function svgOpening(width: number, height: number, fontSize: number): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${fontSize}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
}

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * Round tick positions inside [min, max]: steps of 1, 2 or 5 times a power of ten, about
 * `count` of them; with `integer`, steps of at least 1 (epochs, iterations).
 *
 * @example niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (min === max) return [min];
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  // d3's rule: the factor whose step is nearest the rough step on a log scale.
  const error = rough / power;
  const nice = power * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  const step = integer ? Math.max(1, nice) : nice;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step - 1e-9) * step; tick <= max + step * 1e-9; tick += step) {
    // Round away binary noise (0.30000000000000004).
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

function extent(values: readonly number[]): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return [min, max];
}

function formatTick(value: number): string {
  return Math.abs(value) >= 1e5 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(1) : String(value);
}

/** Series of at most this many points get a marker at each. */
const MARKED_SERIES_POINTS = 30;

const LINE_CHART_OPTION_KEYS: KnownKeys<LineChartOptions> = { title: true, xLabel: true, yLabel: true, width: true, height: true };

/**
 * A line chart as an SVG document: title, both axes with round ticks and labels, one polyline per
 * series in its own colour (with a marker at each point for series of up to 30 points), and a legend. Learning curves, error curves, sweeps of several runs.
 *
 * @throws {InvalidArgumentError} when there is no series, a series has no finite point, or a size is invalid.
 * @example
 * const svg = lineChart([{ name: 'corruption 0.3', points: history.map((log) => [log.epoch, log.cost]) }], { title: 'dA cost', xLabel: 'epoch', yLabel: 'cost' });
 */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions = {}): string {
  const caller = 'lineChart';
  requireKnownKeys(caller, 'options', options, LINE_CHART_OPTION_KEYS);
  const width = requirePositiveInteger(caller, 'width', options.width ?? 640);
  const height = requirePositiveInteger(caller, 'height', options.height ?? 400);
  if (series.length === 0)
    throw new InvalidArgumentError('series', series, `${caller}: series must hold at least one line; received none.`);
  const finite = series.flatMap((line) => line.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const empty = series.find((line) => !line.points.some(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  if (empty !== undefined) {
    throw new InvalidArgumentError(
      'series',
      empty.name,
      `${caller}: series "${empty.name}" has no point with a finite x and y; drop it or give it data.`,
    );
  }
  const margin = { left: 64, right: 150, top: 40, bottom: 50 };
  const plotWidth = Math.max(1, width - margin.left - margin.right);
  const plotHeight = Math.max(1, height - margin.top - margin.bottom);
  // Ticks lie inside the data's extent, so the extent is the plot's range.
  const [xMin, xMax] = extent(finite.map(([x]) => x));
  const [yMin, yMax] = extent(finite.map(([, y]) => y));
  // Whole-number x (epochs, iterations) gets whole-number ticks.
  const xTicks = niceTicks(
    xMin,
    xMax,
    5,
    finite.every(([x]) => Number.isInteger(x)),
  );
  const yTicks = niceTicks(yMin, yMax);
  const px = (x: number) => margin.left + (xMax === xMin ? plotWidth / 2 : ((x - xMin) / (xMax - xMin)) * plotWidth);
  const py = (y: number) => margin.top + plotHeight - (yMax === yMin ? plotHeight / 2 : ((y - yMin) / (yMax - yMin)) * plotHeight);
  const round = (value: number) => Number(value.toFixed(2));
  const parts: string[] = [
    ...svgOpening(width, height, 12),
    `<text x="${round(margin.left + plotWidth / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title ?? '')}</text>`,
  ];
  for (const tick of xTicks) {
    const x = round(px(tick));
    parts.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotHeight}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of yTicks) {
    const y = round(py(tick));
    parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotWidth}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${round(y + 4)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(
    `<text x="${round(margin.left + plotWidth / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel ?? '')}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${round(margin.top + plotHeight / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel ?? '')}</text>`,
  );
  series.forEach((line, index) => {
    const color = SERIES_COLORS[index % SERIES_COLORS.length];
    let segment: string[] = [];
    const flush = () => {
      if (segment.length > 0) parts.push(`<polyline points="${segment.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      segment = [];
    };
    for (const [x, y] of line.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) segment.push(`${round(px(x))},${round(py(y))}`);
      else flush();
    }
    flush();
    // A short series (a run of one or a few epochs) also gets a marker at each point: a single
    // point draws no line at all.
    const drawn = line.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (drawn.length <= MARKED_SERIES_POINTS) {
      for (const [x, y] of drawn) parts.push(`<circle cx="${round(px(x))}" cy="${round(py(y))}" r="3.5" fill="${color}"/>`);
    }
    const legendY = margin.top + 10 + index * 20;
    const legendX = margin.left + plotWidth + 14;
    parts.push(`<line x1="${legendX}" y1="${legendY}" x2="${legendX + 20}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${legendX + 26}" y="${legendY + 4}">${escapeXml(line.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
