import type { Command } from 'commander';
import { formatAdapter, formatBackendReport, listBackends, summarizeNativeEngine } from '@sdae/backend';
import { selectCliBackend } from '../run/engine-lines';
import { NODE_BACKENDS, addCommand, backendFlag, engineFlags, jsonFlag, type FlagValues } from '../flags';
import type { Output } from '../output';

const FLAGS = { backend: backendFlag, device: engineFlags.device, json: jsonFlag('print one JSON object') };

/** The flags of `sdae backends`. */
export type BackendsFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae backends`: whether the native training engine loads here (or why not), on which device
 * (--device: the adapter, or why each GPU provider was passed over), which tfjs backends work,
 * and which one `auto` (or --backend) selects and why.
 */
export async function backendsCommand(options: BackendsFlags, output: Output): Promise<void> {
  // The browser backends never run in Node, so they are not offered or listed.
  const available = (await listBackends()).filter((status) => NODE_BACKENDS.includes(status.name));
  const selected = await selectCliBackend(options.backend);
  // The native engine as resolveEngine answers for --device (a device that cannot start is a row saying why).
  const native = await summarizeNativeEngine(options.device === undefined ? {} : { device: options.device });
  const report = { ...selected, native };
  if (options.json) {
    const { resolved, ...summary } = native;
    const devices = resolved?.tried ?? [];
    output.out(
      `${JSON.stringify({ type: 'result', native: { ...summary, devices }, available, selected: { ...report, native: summary } })}\n`,
    );
    return;
  }
  const row = (ok: boolean, name: string, reason: string) => `  ${ok ? 'ok  ' : 'no  '} ${name.padEnd(14)} ${reason}`;
  const lines = [
    row(
      report.native.available,
      'native',
      report.native.available ? `${report.native.description}: trains each step as one ONNX graph` : report.native.description,
    ),
    ...(native.resolved?.engine === 'native' && native.resolved.adapter !== undefined
      ? [row(true, `  on ${native.resolved.device}`, formatAdapter(native.resolved.adapter))]
      : []),
    ...(native.resolved?.tried ?? [])
      .filter((attempt) => native.resolved?.engine !== 'native' || attempt.device !== native.resolved.device)
      .map((attempt) => row(attempt.ok, `  ${attempt.device}`, attempt.reason)),
    ...available.map((status) => row(status.available, status.name, status.reason)),
  ];
  output.out(`Engines and backends on this machine:\n${lines.join('\n')}\n\n${formatBackendReport(report)}\n`);
}

/** Adds `sdae backends` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'backends',
    'list the native training engine (or why it cannot load), the tfjs backends that work here and the one selected, with the reasons',
    FLAGS,
    (flags) => backendsCommand(flags, output),
  );
}
