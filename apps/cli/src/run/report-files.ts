// The files a run writes at its end: filter pictures and report.html.
import { encodePng, enlarge, greyToRgba, htmlReport, tileRasterImages, type ReportOptions, type TileRasterImagesOptions } from '@sdae/vis';
import { filterTileShape } from '../picture-bounds';
import { backendLines } from './engine-lines';
import type { Experiment } from './experiment';
import { endLine, markEndPhase } from './phases';

/** A grid of filters (one per row of `rows`, 10 per grid row, at most 10 grid rows unless `tileShape` says otherwise) as PNG bytes; `enlargeBy` magnifies small kernels. */
export function filtersPng(rows: ArrayLike<number>, options: TileRasterImagesOptions & { enlargeBy?: number } = {}): Uint8Array {
  const { enlargeBy, ...tiling } = options;
  const [height, width] = tiling.imageShape ?? [28, 28];
  const tileShape = tiling.tileShape ?? filterTileShape(rows.length / (height * width));
  const grid = tileRasterImages(rows, { ...tiling, tileShape });
  return encodePng(greyToRgba(enlargeBy === undefined ? grid : enlarge(grid, enlargeBy)));
}

/** Writes each figure's file, then report.html gathering them, and logs where the report is. */
export async function writeReport(
  experiment: Experiment,
  report: Omit<ReportOptions, 'backendReport'>,
  files: Record<string, string | Uint8Array>,
): Promise<string> {
  for (const [name, content] of Object.entries(files)) await experiment.write(name, content);
  const engines = experiment.lines.filter((line) => line.startsWith('engine: '));
  const backendReport = [...engines, ...backendLines(experiment.backend)].join('\n');
  // The summary names what trained (the native engine, or tfjs on its backend), not only the tfjs backend.
  const { backend, ...summary } = report.summary ?? {};
  const engine = experiment.trainedBy.length > 0 ? experiment.trainedBy.join(', ') : backend === undefined ? undefined : `tfjs ${backend}`;
  const withEngine = report.summary === undefined ? {} : { summary: { ...summary, ...(engine === undefined ? {} : { engine }) } };
  const path = await experiment.write('report.html', htmlReport({ log: experiment.lines, ...report, ...withEngine, backendReport }));
  experiment.log(`Report: ${path}`, { type: 'report', path });
  markEndPhase('report written');
  const end = endLine();
  if (end !== undefined) experiment.detail(end);
  return path;
}
