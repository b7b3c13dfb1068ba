// What selectBackend reports (the backend chosen, every attempt, the rule that decided, the native
// engine beside it), the status of every backend, and the report's text.
import * as tf from '@tensorflow/tfjs-core';
import { filledKernels, type FilledKernel } from './kernels/training-kernels';
import { resolveEngine, type DeviceRule, type ResolveEngineOptions, type ResolvedEngine } from './resolve-engine';
import { SdaeError } from '@sdae/core';
import { BACKEND_NAMES, type BackendName, type Platform, SPECS } from './backend-specs';
import { type SelectBackendOptions, detectPlatform, tryBackend } from './select-backend';

/** One backend that was tried, and how it went. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was chosen or why it could not start. */
  reason: string;
  /** How long loading and initialising took, in milliseconds. */
  milliseconds: number;
}

/**
 * The rule that decided a choice: `'requested'` (by name), `'fallback'` (the named one could not
 * start), `'order'` (the first of the order that started), `'software-renderer'` (a GPU backend
 * that renders in software ranked below wasm, which started), `'probe'` (the fastest probe step).
 */
export type SelectionRule = 'requested' | 'fallback' | 'order' | 'software-renderer' | 'probe';

/** What renders a GPU backend here, as {@link selectBackend} found before ranking. */
export interface RendererNote {
  name: BackendName;
  /** The WebGL renderer string or the WebGPU adapter's description. */
  renderer: string;
  /** The software renderer it names (e.g. 'SwiftShader'), undefined for a hardware GPU. */
  software: string | undefined;
}

/** One probe step's time on a backend that started (`probe: true`). */
export interface ProbeTiming {
  name: BackendName;
  /** The median of three timed steps after a warm-up, in milliseconds. */
  milliseconds: number;
}

/** What {@link selectBackend} did and why. */
export interface BackendReport {
  /** The backend now active. */
  backend: BackendName;
  platform: Platform;
  /** The backend asked for by name (option or SDAE_BACKEND), or undefined when chosen automatically. */
  requested: BackendName | undefined;
  /** Every backend tried, in order, with `ok` and a reason. */
  tried: BackendAttempt[];
  /** The kernels sdae registered for this backend's training. */
  filledKernels: FilledKernel[];
  /** One sentence for people: what was chosen and why. */
  explanation: string;
  /** The rule that decided. */
  rule: SelectionRule;
  /** What renders each GPU backend that was ranked (browsers, automatic choice). */
  renderers: RendererNote[];
  /** The probe step's time on each backend that started (`probe: true`); empty otherwise. */
  probes: ProbeTiming[];
  /**
   * The native training engine (onnxruntime-node, Node only), which the training loops prefer to
   * the tfjs backend when it loads; the tfjs backend still evaluates and runs everything else.
   */
  native: NativeEngineSummary;
}

/** Whether the native engine loads here: what it is and on which device, or why not ({@link resolveEngine}'s answer). */
export interface NativeEngineSummary {
  available: boolean;
  /** E.g. "onnxruntime-node 1.30.0 (native, 2 threads)"; the reason it is missing otherwise. */
  description: string;
  /** The device the native engine trains on ('cpu', 'webgpu'...), undefined when it is unavailable. */
  device?: string;
  /** The rule that chose the device, and why, in words. */
  rule?: DeviceRule;
  reason?: string;
  /** The resolver's full answer (devices tried, adapters), undefined when it refused. */
  resolved?: ResolvedEngine;
}

/**
 * Says whether the native engine is available and on which device, from {@link resolveEngine}
 * (which loads onnxruntime-node once per process). A refusal (a named device that cannot start)
 * is reported, not thrown.
 */
export async function summarizeNativeEngine(options: ResolveEngineOptions = {}): Promise<NativeEngineSummary> {
  try {
    const resolved = await resolveEngine(options.engine === undefined ? { ...options, engine: 'auto' } : options);
    if (resolved.engine === 'tfjs')
      return { available: false, description: resolved.reason, rule: resolved.rule, reason: resolved.reason, resolved };
    return {
      available: true,
      description: resolved.description,
      device: resolved.device,
      rule: resolved.rule,
      reason: resolved.reason,
      resolved,
    };
  } catch (error) {
    if (!SdaeError.isInstance(error)) throw error;
    return { available: false, description: error.message };
  }
}

export function report(
  chosen: BackendName,
  platform: Platform,
  requested: BackendName | undefined,
  tried: BackendAttempt[],
  ranking: { renderers: RendererNote[]; demoted: RendererNote[]; probes: ProbeTiming[] },
  native: NativeEngineSummary,
): BackendReport {
  const { renderers, demoted, probes } = ranking;
  const rule: SelectionRule =
    requested === chosen
      ? 'requested'
      : requested !== undefined
        ? 'fallback'
        : probes.length > 0
          ? 'probe'
          : chosen === 'wasm' && demoted.length > 0
            ? 'software-renderer'
            : 'order';
  return {
    backend: chosen,
    platform,
    requested,
    tried,
    filledKernels: filledKernels(SPECS[chosen].tfjsName),
    explanation: explain(chosen, rule, requested, tried, demoted, probes),
    rule,
    renderers,
    probes,
    native,
  };
}

export function explain(
  chosen: BackendName,
  rule: SelectionRule,
  requested: BackendName | undefined,
  tried: BackendAttempt[],
  demoted: RendererNote[],
  probes: ProbeTiming[],
): string {
  const failed = tried.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.name}: ${attempt.reason}`);
  const why = {
    requested: 'asked for by name',
    fallback: `fallback, '${requested}' could not start`,
    order: 'the first backend of the order that started here',
    'software-renderer': `${demoted.map((note) => `${note.name} renders in software on ${note.software} (${note.renderer})`).join(' and ')}, slower than wasm, so it ranks below wasm, which started`,
    probe: `the fastest probe step (${probes.map((timing) => `${timing.name} ${timing.milliseconds.toFixed(1)} ms`).join(', ')})`,
  }[rule];
  return `${chosen}: ${why}${failed.length > 0 ? ` (skipped ${failed.join('; ')})` : ''}.`;
}

/** Whether a backend can run here, and why not. */
export interface BackendStatus {
  name: BackendName;
  available: boolean;
  reason: string;
}

/**
 * Says which backends work on this platform and why the others do not, by trying each one. The
 * backend active before the call is active again afterwards.
 *
 * @example (await listBackends()).map((status) => `${status.name}: ${status.available ? 'yes' : status.reason}`);
 */
export async function listBackends(options: Pick<SelectBackendOptions, 'wasmPaths' | 'wasmThreads'> = {}): Promise<BackendStatus[]> {
  const platform = detectPlatform();
  const previous = activeBackendName();
  const statuses: BackendStatus[] = [];
  for (const name of BACKEND_NAMES) {
    const attempt = await tryBackend(name, platform, options);
    statuses.push({ name, available: attempt.ok, reason: attempt.reason });
  }
  if (previous !== undefined) await tf.setBackend(previous);
  return statuses;
}

export function activeBackendName(): string | undefined {
  try {
    return tf.getBackend() ?? undefined;
  } catch {
    return undefined; // No backend initialised yet.
  }
}

/** Lists a report's attempts as lines for a terminal. */
export function formatBackendReport(report: BackendReport): string {
  const native = report.native.available
    ? `engine: ${report.native.description}, each training step compiled to one ONNX graph; tfjs ${report.backend} runs the rest`
    : `engine: tfjs ${report.backend} (no native engine: ${report.native.description})`;
  const devices = (report.native.resolved?.tried ?? []).map(
    (attempt) => `  device ${attempt.ok ? 'ok  ' : 'no  '} ${attempt.device.padEnd(7)} ${attempt.reason}`,
  );
  const deviceLines = report.native.available
    ? [`  device: ${report.native.device} (${report.native.rule}: ${report.native.reason})`, ...devices]
    : [];
  const lines = [native, ...deviceLines, `backend: ${report.backend} on ${report.platform}`, `  ${report.explanation}`];
  for (const attempt of report.tried) lines.push(`  ${attempt.ok ? 'ok  ' : 'no  '} ${attempt.name.padEnd(14)} ${attempt.reason}`);
  for (const note of report.renderers)
    lines.push(
      `  renderer ${note.name}: ${note.renderer}${note.software === undefined ? '' : ` (software: ${note.software}, ranked below wasm)`}`,
    );
  for (const timing of report.probes) lines.push(`  probe ${timing.name}: ${timing.milliseconds.toFixed(1)} ms per step`);
  for (const kernel of report.filledKernels)
    lines.push(
      `  kernel ${kernel.kernelName} on ${kernel.backendName}: ${kernel.reason === 'missing' ? 'added (missing in tfjs)' : 'replaced (stock one is slow)'}`,
    );
  return lines.join('\n');
}
