import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { confusionMatrixChart } from './confusion-chart';
import { htmlReport } from './html-report';
import { reconstructionGrid } from './image-grids';
import { decodePng } from './png';
import { lineChart } from './svg-chart';
import { tileRasterImages } from './tile-raster-images';

describe('unknown option keys', () => {
  it.each([
    [
      'lineChart',
      () => lineChart([], { xlabel: 'epoch' } as never),
      /^lineChart: unknown option 'xlabel' in options\. Valid options: 'title', 'xLabel', /,
    ],
    [
      'tileRasterImages',
      () => tileRasterImages(new Float32Array(4), { imageShape: [2, 2], tiles: [1, 1] } as never),
      /^tileRasterImages: unknown option 'tiles' in options\./,
    ],
    [
      'confusionMatrixChart',
      () => confusionMatrixChart([[1]], { names: ['a'] } as never),
      /^confusionMatrixChart: unknown option 'names' in options\./,
    ],
    ['htmlReport', () => htmlReport({ title: 't', figure: [] } as never), /^htmlReport: unknown option 'figure' in options\./],
    [
      'reconstructionGrid',
      () => reconstructionGrid({ originals: new Float32Array(4) }, { shape: [2, 2] } as never),
      /^reconstructionGrid: unknown option 'shape' in options\./,
    ],
    ['decodePng', () => decodePng(new Uint8Array(8), { maxPixel: 1 } as never), /^decodePng: unknown option 'maxPixel' in options\./],
  ])('%s refuses an unknown key, listing the valid ones', (_, call, message) => {
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
  });
});
