import { InvalidArgumentError, requireKnownKeys, requireNumber, requirePositiveInteger, resolveChoice, type KnownKeys } from '@sdae/core';
import { axisDomain, formatTicks, logTicks, niceTicks } from './ticks';

export { logTicks, niceTicks } from './ticks';

/** One line of a chart: a name for the legend and its points. */
export interface LineSeries {
  name: string;
  /** `[x, y]` pairs; a non-finite y (a diverged run) breaks the line there. */
  points: ReadonlyArray<readonly [number, number]>;
  /**
   * Validation points of the same quantity (e.g. the validation loss per epoch beside the training
   * loss), drawn dashed in the series' colour and listed in the legend as "name (validation)".
   * Not smoothed. @default none
   */
  validation?: ReadonlyArray<readonly [number, number]>;
  /**
   * The y axis the series is read on: `'right'` for a second quantity on its own scale, such as an
   * accuracy in [0, 1] beside a loss. @default 'left'
   */
  axis?: 'left' | 'right';
  /** This series' smoothing weight, overriding the chart's `smoothing`. @default options.smoothing */
  smoothing?: number;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** Shown above the plot. @default '' */
  title?: string;
  /** Under the x axis. @default '' */
  xLabel?: string;
  /** Beside the left y axis. @default '' */
  yLabel?: string;
  /** Beside the right y axis (series with `axis: 'right'`). @default '' */
  y2Label?: string;
  /**
   * The left axis' scale. `'log'` places values by their log10 with ticks at powers of ten (or
   * 1-2-5 steps inside one decade); every finite y on the left axis must then be > 0, or
   * lineChart throws. The right axis is always linear. @default 'linear'
   */
  yScale?: 'linear' | 'log';
  /**
   * Exponential-moving-average weight in [0, 1), TensorBoard's "smoothing": above 0 each series is
   * drawn smoothed ({@link smoothEma}) as a strong line over its raw points, drawn faint.
   * @default 0
   */
  smoothing?: number;
  /** Width of the SVG in pixels. @default 640 */
  width?: number;
  /** Height of the SVG in pixels; it grows when the legend needs more rows than fit. @default 400 */
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
 * TensorBoard's smoothing: an exponential moving average with weight `weight` in [0, 1),
 * debiased so that early values are not pulled towards 0. A non-finite value stays NaN (the line
 * breaks) and leaves the average as it was.
 *
 * @example smoothEma([1, 2, 3], 0.5); // [1, 1.6667, 2.4286] (to 4 decimals)
 */
export function smoothEma(values: readonly number[], weight: number): number[] {
  requireNumber('smoothEma', 'weight', weight, { min: 0, max: 1, excludeMax: true });
  let average = 0;
  let count = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return Number.NaN;
    count++;
    average = average * weight + (1 - weight) * value;
    return average / (1 - weight ** count);
  });
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

/** Series of at most this many points get a marker at each. */
const MARKED_SERIES_POINTS = 30;
/** Longer series get this many invisible hover targets, evenly spread. */
const HOVER_POINTS = 100;

const FONT_SIZE = 12;
/** A generous width of one character of 12 px sans-serif (most glyphs are narrower), so estimated text never overflows. */
const CHARACTER_WIDTH = 0.62 * FONT_SIZE;
const LEGEND_LINE_HEIGHT = 16;
/** The legend swatch (a 22 px line) and the gap before its text. */
const SWATCH_WIDTH = 28;
const LEGEND_GAP = 20;

/** An entry of the legend: its text lines and how its swatch is drawn. */
interface LegendEntry {
  lines: string[];
  color: string;
  dashed: boolean;
  width: number;
}

/** Splits `text` at spaces into lines of at most `maxCharacters` (a longer word is cut, never dropped). */
export function wrapText(text: string, maxCharacters: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(' ')) {
    while (word.length > maxCharacters) {
      if (line !== '') lines.push(line);
      lines.push(word.slice(0, maxCharacters));
      word = word.slice(maxCharacters);
      line = '';
    }
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= maxCharacters) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/** Flows legend entries into rows of at most `available` pixels; returns each entry's offset and the rows' total height. */
function layoutLegend(
  entries: LegendEntry[],
  available: number,
): { placed: Array<{ entry: LegendEntry; x: number; y: number }>; height: number } {
  const placed: Array<{ entry: LegendEntry; x: number; y: number }> = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const entry of entries) {
    if (x > 0 && x + entry.width > available) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    placed.push({ entry, x, y });
    x += entry.width + LEGEND_GAP;
    rowHeight = Math.max(rowHeight, entry.lines.length * LEGEND_LINE_HEIGHT + 4);
  }
  return { placed, height: y + rowHeight };
}

const LINE_CHART_OPTION_KEYS: KnownKeys<LineChartOptions> = {
  title: true,
  xLabel: true,
  yLabel: true,
  y2Label: true,
  yScale: true,
  smoothing: true,
  width: true,
  height: true,
};

type Points = ReadonlyArray<readonly [number, number]>;
const isFinitePoint = ([x, y]: readonly [number, number]) => Number.isFinite(x) && Number.isFinite(y);

/**
 * A line chart as an SVG document: title, axes with round ticks and labels (a second, right
 * axis for series with `axis: 'right'`), one polyline per series in its own colour (with a marker
 * at each point for series of up to 30 points; smoothed strong over the raw line drawn faint with
 * `smoothing`; validation points dashed in the same colour), and a legend below the plot that
 * wraps into rows sized from its text, so no name is cut. Learning curves, error curves, sweeps of
 * several runs.
 *
 * @throws {InvalidArgumentError} when there is no series, a series has no finite point, a size or
 *   the smoothing is invalid, or with `yScale: 'log'` a left-axis value is not > 0.
 * @example
 * const svg = lineChart(
 *   [
 *     { name: 'loss', points: train, validation: validationLoss },
 *     { name: 'accuracy', points: accuracy, axis: 'right' },
 *   ],
 *   { title: 'CNN', xLabel: 'epoch', yLabel: 'loss', y2Label: 'accuracy', yScale: 'log', smoothing: 0.6 },
 * );
 */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions = {}): string {
  const caller = 'lineChart';
  requireKnownKeys(caller, 'options', options, LINE_CHART_OPTION_KEYS);
  const width = requirePositiveInteger(caller, 'width', options.width ?? 640);
  const height = requirePositiveInteger(caller, 'height', options.height ?? 400);
  const yScale = resolveChoice(caller, 'yScale', options.yScale ?? 'linear', ['linear', 'log'] as const);
  const smoothing = requireNumber(caller, 'smoothing', options.smoothing ?? 0, { min: 0, max: 1, excludeMax: true });
  if (series.length === 0)
    throw new InvalidArgumentError('series', series, `${caller}: series must hold at least one line; received none.`);
  const empty = series.find((line) => !line.points.some(isFinitePoint));
  if (empty !== undefined) {
    throw new InvalidArgumentError(
      'series',
      empty.name,
      `${caller}: series "${empty.name}" has no point with a finite x and y; drop it or give it data.`,
    );
  }
  const onRight = (line: LineSeries) =>
    resolveChoice(caller, `axis of series "${line.name}"`, line.axis ?? 'left', ['left', 'right'] as const) === 'right';
  const allPoints = (line: LineSeries): Points => [...line.points, ...(line.validation ?? [])].filter(isFinitePoint);
  const left = series.filter((line) => !onRight(line));
  const right = series.filter(onRight);
  if (yScale === 'log') {
    for (const line of left) {
      const bad = allPoints(line).find(([, y]) => y <= 0);
      if (bad !== undefined) {
        throw new InvalidArgumentError(
          'series',
          line.name,
          `${caller}: yScale 'log' needs values > 0, but series "${line.name}" has y = ${bad[1]} at x = ${bad[0]}. Drop the point, put the series on the right axis, or use yScale 'linear'.`,
        );
      }
    }
  }
  const bothAxes = left.length > 0 && right.length > 0;
  const legend: LegendEntry[] = [];
  /** A y axis' domain (a constant series padded, see axisDomain), ticks and their labels. */
  const axisTicks = (lines: readonly LineSeries[], scale: 'linear' | 'log') => {
    const [min, max] = axisDomain(...extent(lines.flatMap(allPoints).map(([, y]) => y)), scale);
    const ticks = lines.length === 0 ? [] : scale === 'log' ? logTicks(min, max) : niceTicks(min, max);
    return { min, max, scale, ticks, labels: formatTicks(ticks, scale) };
  };
  const leftTicks = axisTicks(left, yScale);
  const rightTicks = axisTicks(right, 'linear');
  // Each margin holds its tick labels and the rotated axis label beside them.
  const labelRoom = (labels: string[]) => Math.ceil(Math.max(0, ...labels.map((label) => label.length)) * CHARACTER_WIDTH) + 34;
  const margin = {
    left: Math.max(64, labelRoom(leftTicks.labels)),
    right: right.length > 0 ? Math.max(64, labelRoom(rightTicks.labels)) : 24,
    top: 40,
  };
  const maxCharacters = Math.max(4, Math.floor((width - 32 - SWATCH_WIDTH) / CHARACTER_WIDTH));
  const addEntry = (text: string, color: string, dashed: boolean) => {
    const lines = wrapText(text, maxCharacters);
    legend.push({ lines, color, dashed, width: SWATCH_WIDTH + Math.max(...lines.map((line) => line.length)) * CHARACTER_WIDTH });
  };
  series.forEach((line, index) => {
    const color = SERIES_COLORS[index % SERIES_COLORS.length]!;
    const axisNote = bothAxes && onRight(line) ? ' (right axis)' : '';
    addEntry(`${line.name}${axisNote}`, color, false);
    if ((line.validation ?? []).length > 0) addEntry(`${line.name} (validation)${axisNote}`, color, true);
  });
  const { placed, height: legendHeight } = layoutLegend(legend, width - 32);
  // Under the plot: the tick labels, the x label, then the legend.
  const legendTop = 46;
  const bottom = legendTop + legendHeight + 8;
  const plotWidth = Math.max(1, width - margin.left - margin.right);
  const plotHeight = Math.max(80, height - margin.top - bottom);
  const svgHeight = margin.top + plotHeight + bottom;
  const finite = series.flatMap(allPoints);
  // Ticks lie inside the data's extent, so the extent is the plot's range.
  const [xMin, xMax] = extent(finite.map(([x]) => x));
  // Whole-number x (epochs, iterations) gets whole-number ticks.
  const xTicks = niceTicks(
    xMin,
    xMax,
    5,
    finite.every(([x]) => Number.isInteger(x)),
  );
  const xLabels = formatTicks(xTicks);
  const px = (x: number) => margin.left + (xMax === xMin ? plotWidth / 2 : ((x - xMin) / (xMax - xMin)) * plotWidth);
  /** A y axis: where a value lands (pixels), its ticks and their labels. */
  const axis = ({ min, max, scale, ticks, labels }: ReturnType<typeof axisTicks>) => {
    const transform = scale === 'log' ? Math.log10 : (value: number) => value;
    const [low, high] = [transform(min), transform(max)];
    return {
      py: (y: number) => margin.top + plotHeight - (high === low ? plotHeight / 2 : ((transform(y) - low) / (high - low)) * plotHeight),
      ticks,
      labels,
    };
  };
  const leftAxis = axis(leftTicks);
  const rightAxis = axis(rightTicks);
  const round = (value: number) => Number(value.toFixed(2));
  const parts: string[] = [
    ...svgOpening(width, svgHeight, FONT_SIZE),
    `<text x="${round(margin.left + plotWidth / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title ?? '')}</text>`,
  ];
  for (const [index, tick] of xTicks.entries()) {
    const x = round(px(tick));
    parts.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotHeight}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${xLabels[index]}</text>`);
  }
  for (const [index, tick] of leftAxis.ticks.entries()) {
    const y = round(leftAxis.py(tick));
    parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotWidth}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${round(y + 4)}" text-anchor="end">${leftAxis.labels[index]}</text>`);
  }
  for (const [index, tick] of rightAxis.ticks.entries()) {
    const y = round(rightAxis.py(tick));
    // No grid line: the left axis' grid would be crossed by a second one at other heights.
    parts.push(`<line x1="${margin.left + plotWidth}" y1="${y}" x2="${margin.left + plotWidth + 4}" y2="${y}" stroke="#333"/>`);
    parts.push(
      `<text class="y2-tick" x="${margin.left + plotWidth + 7}" y="${round(y + 4)}" text-anchor="start">${rightAxis.labels[index]}</text>`,
    );
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(
    `<text x="${round(margin.left + plotWidth / 2)}" y="${margin.top + plotHeight + 34}" text-anchor="middle">${escapeXml(options.xLabel ?? '')}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${round(margin.top + plotHeight / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel ?? '')}</text>`,
  );
  if (right.length > 0) {
    parts.push(
      `<text transform="translate(${width - 12} ${round(margin.top + plotHeight / 2)}) rotate(90)" text-anchor="middle">${escapeXml(options.y2Label ?? '')}</text>`,
    );
  }
  const drawLine = (points: Points, py: (y: number) => number, stroke: string) => {
    let segment: string[] = [];
    const flush = () => {
      if (segment.length > 0) parts.push(`<polyline points="${segment.join(' ')}" fill="none" ${stroke}/>`);
      segment = [];
    };
    for (const point of points) {
      if (isFinitePoint(point)) segment.push(`${round(px(point[0]))},${round(py(point[1]))}`);
      else flush();
    }
    flush();
  };
  const xName = options.xLabel === undefined || options.xLabel === '' ? 'x' : options.xLabel;
  /** What hovering a point shows (an SVG <title>): the series, its value and where. */
  const hover = (name: string, [x, y]: readonly [number, number]) =>
    `<title>${escapeXml(`${name}: ${Number(y.toPrecision(5))} at ${xName} ${Number(x.toPrecision(6))}`)}</title>`;
  const drawMarkers = (name: string, points: Points, py: (y: number) => number, fill: string, stroke: string) => {
    // A short series (a run of one or a few epochs) also gets a marker at each point: a single
    // point draws no line at all. A long one gets invisible hover targets at up to HOVER_POINTS points.
    const drawn = points.filter(isFinitePoint);
    const marked = drawn.length <= MARKED_SERIES_POINTS;
    const every = marked ? 1 : Math.ceil(drawn.length / HOVER_POINTS);
    const style = marked ? `r="3.5" fill="${fill}" stroke="${stroke}"` : 'r="4" fill="transparent" class="hover"';
    drawn.forEach((point, index) => {
      if (index % every === 0 || index === drawn.length - 1)
        parts.push(`<circle cx="${round(px(point[0]))}" cy="${round(py(point[1]))}" ${style}>${hover(name, point)}</circle>`);
    });
  };
  series.forEach((line, index) => {
    const color = SERIES_COLORS[index % SERIES_COLORS.length]!;
    const { py } = onRight(line) ? rightAxis : leftAxis;
    const weight = line.smoothing ?? smoothing;
    if (weight > 0) {
      requireNumber(caller, `smoothing of series "${line.name}"`, weight, { min: 0, max: 1, excludeMax: true });
      drawLine(line.points, py, `stroke="${color}" stroke-width="1.5" stroke-opacity="0.3" class="raw"`);
      const smoothed = smoothEma(
        line.points.map(([, y]) => y),
        weight,
      );
      drawLine(
        line.points.map(([x], position) => [x, smoothed[position]!] as const),
        py,
        `stroke="${color}" stroke-width="2" class="smoothed"`,
      );
    } else drawLine(line.points, py, `stroke="${color}" stroke-width="2"`);
    drawMarkers(line.name, line.points, py, color, 'none');
    if (line.validation !== undefined) {
      drawLine(line.validation, py, `stroke="${color}" stroke-width="2" stroke-dasharray="6 4" class="validation"`);
      drawMarkers(`${line.name} (validation)`, line.validation, py, 'white', color);
    }
  });
  const legendX = 16;
  const legendY = margin.top + plotHeight + legendTop;
  for (const { entry, x, y } of placed) {
    const top = legendY + y;
    const dash = entry.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<line x1="${legendX + x}" y1="${top + 8}" x2="${legendX + x + 22}" y2="${top + 8}" stroke="${entry.color}" stroke-width="3"${dash}/>`,
    );
    const spans = entry.lines.map(
      (text, row) =>
        `<tspan x="${round(legendX + x + SWATCH_WIDTH)}" y="${top + 12 + row * LEGEND_LINE_HEIGHT}">${escapeXml(text)}</tspan>`,
    );
    parts.push(`<text class="legend">${spans.join('')}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
