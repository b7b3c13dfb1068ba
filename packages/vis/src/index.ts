// @sdae/vis: pictures of what the networks learn, as pure functions (same code in Node and browsers).
export { tileRasterImages } from './tile-raster-images';
export type { TileRasterImagesOptions, GreyImage } from './tile-raster-images';
export { reconstructionGrid, activationGrid, enlarge } from './image-grids';
export type { ReconstructionGridOptions, ActivationGridOptions } from './image-grids';
export { greyToRgba, encodePng, decodePng, toImageData } from './png';
export type { RgbaImage, DecodePngOptions } from './png';
export { lineChart, smoothEma, escapeXml, SERIES_COLORS } from './svg-chart';
export { niceTicks, logTicks, axisDomain, formatTicks } from './ticks';
export type { LineSeries, LineChartOptions } from './svg-chart';
export { confusionMatrixChart } from './confusion-chart';
export type { ConfusionMatrixChartOptions } from './confusion-chart';
export { htmlReport, toBase64 } from './html-report';
export type { ReportCell, ReportFigure, ReportOptions, ReportTable } from './html-report';
