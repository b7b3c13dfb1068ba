// Axis ticks: where they go on a linear or log10 axis, and how they read.

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

/**
 * Tick positions for a log10 axis over [min, max] (both > 0): the powers of ten inside it (every
 * second or more when there are many), else 1-2-5 steps, else round linear steps (a range inside
 * one decade, such as a cost falling from 70 to 60).
 *
 * @example logTicks(0.01, 100); // [0.01, 0.1, 1, 10, 100]
 * @example logTicks(3, 70); // [5, 10, 20, 50]
 */
export function logTicks(min: number, max: number): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max) && min > 0 && max >= min)) return [];
  const inside = (value: number) => value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9);
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const at = (mantissa: number, power: number) => Number((mantissa * 10 ** power).toPrecision(12));
  const powers: number[] = [];
  for (let power = low; power <= high; power++) if (inside(at(1, power))) powers.push(at(1, power));
  if (powers.length >= 2) {
    const step = Math.ceil(powers.length / 7);
    return powers.filter((_, index) => index % step === 0);
  }
  const steps: number[] = [];
  for (let power = low; power <= high; power++)
    for (const mantissa of [1, 2, 5]) if (inside(at(mantissa, power))) steps.push(at(mantissa, power));
  if (steps.length >= 3) return steps;
  return niceTicks(min, max, 4).filter((tick) => tick > 0);
}

/**
 * The domain an axis shows for data from `min` to `max`: the data's own, or around a constant
 * series (one point, or a flat line) a range of +-10 % of its value (0 to 1 for zero; a factor of
 * 2 each way on a log axis), so that it gets several round ticks rather than one unrounded label.
 *
 * @example axisDomain(0.3969378304481506, 0.3969378304481506); // [0.35724404740333557, 0.4366316134929657]
 */
export function axisDomain(min: number, max: number, scale: 'linear' | 'log' = 'linear'): [number, number] {
  if (!(Number.isFinite(min) && Number.isFinite(max)) || min !== max) return [min, max];
  if (scale === 'log') return [min / 2, min * 2];
  if (min === 0) return [0, 1];
  const pad = Math.abs(min) * 0.1;
  return [min - pad, min + pad];
}

/** Decimals that tell ticks `step` apart: 0 for steps of 1 or more, 2 for 0.05. */
function decimalsFor(step: number): number {
  return Math.min(12, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

/**
 * The labels of a set of ticks, all with the decimals their spacing needs (`0.36, 0.38, 0.40`),
 * in exponent form for very large or very small magnitudes (`1.0e+6`, `2.5e-4`); a single tick
 * gets four significant digits; on a log axis each tick reads as its shortest form (`0.01`, `100`).
 * Never binary noise such as `0.30000000000000004`.
 *
 * @example formatTicks([0, 0.5, 1]); // ['0.0', '0.5', '1.0']
 */
export function formatTicks(ticks: readonly number[], scale: 'linear' | 'log' = 'linear'): string[] {
  if (ticks.length === 0) return [];
  // Log ticks (powers of ten, 1-2-5 steps) each read best as their own shortest form.
  if (scale === 'log')
    return ticks.map((tick) =>
      tick >= 1e5 || tick < 1e-3 ? Number(tick.toPrecision(6)).toExponential() : String(Number(tick.toPrecision(6))),
    );
  const largest = Math.max(...ticks.map(Math.abs));
  const step = ticks.length === 1 ? 0 : Math.min(...ticks.slice(1).map((tick, index) => Math.abs(tick - ticks[index]!)));
  if (largest >= 1e5 || (largest > 0 && largest < 1e-3)) {
    const digits = step > 0 ? Math.min(6, Math.max(1, Math.floor(Math.log10(largest)) - Math.floor(Math.log10(step)))) : 3;
    return ticks.map((tick) => (tick === 0 ? '0' : tick.toExponential(digits)));
  }
  if (step === 0) return ticks.map((tick) => String(Number(tick.toPrecision(4))));
  const decimals = decimalsFor(step);
  return ticks.map((tick) => tick.toFixed(decimals));
}
