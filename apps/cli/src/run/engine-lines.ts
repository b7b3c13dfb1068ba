// The lines that say what trains: the engine of each loop, the tfjs backend behind it, and the
// CLI's choice of that backend.
import { BackendUnavailableError, formatBackendReport, selectBackend, type BackendName, type BackendReport } from '@sdae/backend';
import { type EngineName, type EngineReport } from '@sdae/train';

/** The engine line of a loop's engine event with --verbose: what runs the steps and why. */
export function engineLine(report: EngineReport): string {
  return `engine: ${report.description}: ${report.reason}`;
}

/** What the selected tfjs backend started with, from its attempt: "SIMD on, 2 threads" for wasm, undefined for cpu. */
export function backendDetail(backend: BackendReport): string | undefined {
  const attempt = backend.tried.find((candidate) => candidate.ok && candidate.name === backend.backend);
  return attempt === undefined ? undefined : /^started \((.+)\)$/.exec(attempt.reason)?.[1];
}

/**
 * The one line a training command prints about what trains by default (`sdae backends` and
 * --verbose give the full report): `engine: onnxruntime-node 1.30.0 (native, 2 threads); tfjs
 * backend: wasm (SIMD on, 2 threads)`, or `engine: tfjs wasm (SIMD on, 2 threads)` when tfjs trains,
 * followed by why when --engine auto fell back to it (the native engine is unavailable or cannot
 * compile the step).
 */
export function engineSummary(report: EngineReport, backend: BackendReport, requested: EngineName, deviceAsked = false): string {
  const detail = backendDetail(backend);
  const withDetail = (text: string) => (detail === undefined ? text : `${text} (${detail})`);
  // How --device decided is said when it was given (--verbose and sdae backends say it always).
  const device = deviceAsked && report.deviceReason !== undefined ? ` (${report.deviceReason})` : '';
  if (report.engine === 'native') return `engine: ${report.description}${device}; tfjs backend: ${withDetail(backend.backend)}`;
  return `engine: ${withDetail(report.description)}${requested === 'auto' ? `: ${report.reason}` : ''}`;
}

/** What trained a loop, for the report's summary: the native engine's description, or `tfjs <backend> (<detail>)`. */
export function trainedEngine(report: EngineReport, backend: BackendReport): string {
  if (report.engine === 'native') return report.description;
  const detail = backendDetail(backend);
  return `tfjs ${backend.backend}${detail === undefined ? '' : ` (${detail})`}`;
}

/**
 * The backend report without its `engine:` and device lines: the training loop says which engine
 * and device train (which --engine and --device may change), so a command prints that once, from the loop.
 */
export function backendLines(backend: BackendReport): string[] {
  return formatBackendReport(backend)
    .split('\n')
    .filter((line) => !line.startsWith('engine: ') && !line.startsWith('  device'));
}

/**
 * Selects the --backend; a named backend that cannot start is refused in the CLI's terms (the
 * flag and its choices, not the API's `allowFallback` option).
 *
 * @throws {BackendUnavailableError} naming --backend, the reason and the other choices.
 */
export async function selectCliBackend(backend: BackendName | 'auto'): Promise<BackendReport> {
  try {
    return await selectBackend({ backend });
  } catch (error) {
    if (!BackendUnavailableError.isInstance(error) || error.backend !== backend) throw error;
    throw new BackendUnavailableError(
      error.backend,
      error.reason,
      `--backend ${backend} cannot start here: ${error.reason}. Run sdae backends to see which start here, or use --backend auto for the fastest that starts.`,
    );
  }
}
