/** One layer of a model as its summary lists it; {@link SummaryLayer.weights} name the model's variables. */
export interface SummaryLayer {
  /** The layer's name, the prefix of its variables' names (`layer0`, `conv1`, `output`). */
  name: string;
  /** Its kind in Keras' words: `Dense`, `Conv2D`, `MaxPooling2D`, `Flatten`. */
  type: string;
  /** The shape of its output; `null` is the batch. */
  outputShape: (number | null)[];
  /** The model's variables this layer holds (none for pooling and flattening). */
  weights: string[];
}

/** A layer of {@link ModelSummary}: its row, with the count of its weights. */
export interface SummaryRow extends SummaryLayer {
  /** The scalars of the layer's weights. */
  parameters: number;
}

/** What `model.summary()` prints, as data. */
export interface ModelSummary {
  /** The model's class name. */
  name: string;
  rows: SummaryRow[];
  /** Every weight the model holds and saves. */
  totalParameters: number;
  /** The weights its own loss trains: `parameterCount()`. */
  trainableParameters: number;
  /** The other weights (an SdA's dA decoder biases, which only pretraining trains). */
  nonTrainableParameters: number;
  /** Lines that explain the counts, printed under the totals. */
  notes: string[];
}

/** Options of `model.summary()`. */
export interface SummaryOptions {
  /** The width of the table in characters (Keras' `line_length`). @default 65 */
  lineLength?: number;
  /** Called with each line; `null` prints nothing (the text is returned either way). @default console.log */
  printFn?: ((line: string) => void) | null;
}

/** `6371` as `6,371`, as Keras prints counts. */
export const formatCount = (count: number): string => count.toLocaleString('en-US');

/** The table of a summary, Keras 2's layout: layer (type), output shape, parameter count, then the totals. */
export function formatSummary(summary: ModelSummary, lineLength = 65): string[] {
  const cells = summary.rows.map((row) => [
    `${row.name} (${row.type})`,
    `(${row.outputShape.map((size) => (size === null ? 'None' : String(size))).join(', ')})`,
    formatCount(row.parameters),
  ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const first = Math.max(Math.round(lineLength * 0.45), ...[header, ...cells].map((row) => row[0]!.length + 3));
  const second = Math.max(Math.round(lineLength * 0.4), ...[header, ...cells].map((row) => row[1]!.length + 2));
  const width = Math.max(lineLength, first + second + Math.max(...[header, ...cells].map((row) => row[2]!.length)) + 1);
  const line = ([name, shape, count]: string[]) => ` ${name!.padEnd(first - 1)}${shape!.padEnd(second)}${count}`.trimEnd();
  return [
    `Model: "${summary.name}"`,
    '_'.repeat(width),
    line(header),
    '='.repeat(width),
    ...cells.map(line),
    '='.repeat(width),
    `Total params: ${formatCount(summary.totalParameters)}`,
    `Trainable params: ${formatCount(summary.trainableParameters)}`,
    `Non-trainable params: ${formatCount(summary.nonTrainableParameters)}`,
    ...summary.notes,
    '_'.repeat(width),
  ];
}

/** A Dense layer's row: `name.W` and `name.b` (or the variables given), output `[null, units]`. */
export function denseLayer(name: string, units: number, weights = [`${name}.W`, `${name}.b`]): SummaryLayer {
  return { name, type: 'Dense', outputShape: [null, units], weights };
}
