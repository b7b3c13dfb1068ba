import { InvalidArgumentError, requireKnownKeys, type KnownKeys } from '@sdae/core';
import { escapeXml } from './svg-chart';

/** One picture of a report: an SVG chart (inlined) or a PNG image (embedded as a data URI). */
export interface ReportFigure {
  title: string;
  svg?: string;
  png?: Uint8Array;
  caption?: string;
}

/**
 * A table cell: text, text linking to `href` (relative links open files beside the report), or a
 * PNG image (embedded, `alt` its text) such as one filter grid of a comparison.
 */
export type ReportCell = string | number | { text: string; href: string } | { png: Uint8Array; alt: string };

/** A table the reader sorts by clicking a column's heading (numbers as numbers, the rest as text). */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: ReportCell[][];
}

/** What {@link htmlReport} puts on the page, top to bottom. */
export interface ReportOptions {
  title: string;
  /** The final numbers (test error, time, ...), shown as a table. */
  summary?: Record<string, string | number>;
  figures?: ReportFigure[];
  /** Sortable tables, after the figures. */
  tables?: ReportTable[];
  /** The run's configuration, shown as JSON. */
  config?: unknown;
  /** The backend report (e.g. `formatBackendReport(report)`), shown as preformatted text. */
  backendReport?: string;
  /** Log lines, e.g. "Training epoch N, cost C". */
  log?: string[];
}

/**
 * Sorts a table by the column whose heading was clicked, ascending then descending; a column whose
 * cells are all numbers sorts as numbers.
 */
const SORT_SCRIPT = [
  "document.querySelectorAll('table.sortable th').forEach((th,column)=>th.addEventListener('click',()=>{",
  "const body=th.closest('table').tBodies[0];const rows=[...body.rows];const up=th.dataset.order!=='up';th.dataset.order=up?'up':'down';",
  'const key=(row)=>row.cells[column].textContent;const numeric=rows.every((row)=>key(row)!==""&&!isNaN(Number(key(row))));',
  'rows.sort((a,b)=>(numeric?Number(key(a))-Number(key(b)):key(a).localeCompare(key(b)))*(up?1:-1));rows.forEach((row)=>body.appendChild(row));}));',
].join('');

/** A PNG as an `<img>` whose source is the image itself (a data URI), so the report is one file. */
function pngHtml(png: Uint8Array, alt: string): string {
  return `<img alt="${escapeXml(alt)}" src="data:image/png;base64,${toBase64(png)}">`;
}

function cellHtml(cell: ReportCell): string {
  if (typeof cell === 'object' && 'png' in cell) return `<td>${pngHtml(cell.png, cell.alt)}</td>`;
  if (typeof cell === 'object') return `<td><a href="${escapeXml(cell.href)}">${escapeXml(cell.text)}</a></td>`;
  return `<td>${escapeXml(String(cell))}</td>`;
}

function tableHtml(table: ReportTable): string[] {
  return [
    `<h2>${escapeXml(table.title)}</h2>`,
    '<div class="scroll"><table class="sortable"><thead><tr>',
    ...table.columns.map((column) => `<th title="click to sort">${escapeXml(column)}</th>`),
    '</tr></thead><tbody>',
    ...table.rows.map((row) => `<tr>${row.map(cellHtml).join('')}</tr>`),
    '</tbody></table></div>',
  ];
}

/** Base64 of bytes, with the platform's `btoa` (browsers and Node >= 16). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < bytes.length; start += 0x8000) binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  return btoa(binary);
}

/**
 * A standalone HTML page for one run: title, summary table, figures (SVG inline, PNG embedded, so
 * the single file opens anywhere), configuration, backend report and log.
 *
 * @throws {InvalidArgumentError} for a figure with neither or both of `svg` and `png`.
 * @example await writeFile('runs/da/report.html', htmlReport({ title: 'dA 784-500', summary: { 'final cost': 70.3 }, figures }));
 */
export function htmlReport(options: ReportOptions): string {
  requireKnownKeys('htmlReport', 'options', options, {
    title: true,
    summary: true,
    figures: true,
    tables: true,
    config: true,
    backendReport: true,
    log: true,
  } satisfies KnownKeys<ReportOptions>);
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(options.title)}</title>`,
    // Fits any window from 360 px up: figures wrap and shrink (SVGs and PNGs scale to the width),
    // wide tables and preformatted text scroll inside their own box, long words break.
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<style>*{box-sizing:border-box}body{font-family:sans-serif;margin:0 auto;padding:1rem;max-width:1100px}h1,h2,th,td{overflow-wrap:anywhere}',
    '.figures{display:flex;flex-wrap:wrap;gap:1.5rem;margin-bottom:1.5rem}figure{margin:0;min-width:0;max-width:100%}figure svg,figure img{display:block;max-width:100%;height:auto}',
    'figcaption{font-size:.9rem;color:#444}img{image-rendering:pixelated}.scroll{max-width:100%;overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}pre{background:#f6f6f6;padding:.8rem;overflow:auto;max-width:100%}</style>',
    '</head><body>',
    `<h1>${escapeXml(options.title)}</h1>`,
  ];
  if (options.summary !== undefined) {
    parts.push('<div class="scroll"><table class="summary">');
    for (const [name, value] of Object.entries(options.summary))
      parts.push(`<tr><th>${escapeXml(name)}</th><td>${escapeXml(String(value))}</td></tr>`);
    parts.push('</table></div>');
  }
  if ((options.figures ?? []).length > 0) parts.push('<div class="figures">');
  for (const [index, figure] of (options.figures ?? []).entries()) {
    if ((figure.svg === undefined) === (figure.png === undefined)) {
      throw new InvalidArgumentError(
        'figures',
        figure.title,
        `htmlReport: figures[${index}] ("${figure.title}") must have exactly one of svg and png.`,
      );
    }
    const body = figure.svg ?? pngHtml(figure.png as Uint8Array, figure.title);
    parts.push(
      `<figure><h2>${escapeXml(figure.title)}</h2>${body}${figure.caption === undefined ? '' : `<figcaption>${escapeXml(figure.caption)}</figcaption>`}</figure>`,
    );
  }
  if ((options.figures ?? []).length > 0) parts.push('</div>');
  for (const table of options.tables ?? []) parts.push(...tableHtml(table));
  if ((options.tables ?? []).length > 0) parts.push(`<script>${SORT_SCRIPT}</script>`);
  if (options.config !== undefined)
    parts.push('<h2>Configuration</h2>', `<pre class="config">${escapeXml(JSON.stringify(options.config, null, 2))}</pre>`);
  if (options.backendReport !== undefined) parts.push('<h2>Backend</h2>', `<pre class="backend">${escapeXml(options.backendReport)}</pre>`);
  if (options.log !== undefined) parts.push('<h2>Log</h2>', `<pre class="log">${escapeXml(options.log.join('\n'))}</pre>`);
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
