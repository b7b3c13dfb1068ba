import type { Command } from 'commander';
import { formatBackendReport, listBackends } from '@sdae/backend';
import { selectCliBackend } from '../run/experiment';
import { NODE_BACKENDS, addCommand, backendFlag, jsonFlag, type FlagValues } from '../flags';
import type { Output } from '../output';

const FLAGS = { backend: backendFlag, json: jsonFlag('print one JSON object') };

/** The flags of `sdae backends`. */
export type BackendsFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae backends`: whether the native training engine loads here (or why not), which tfjs
 * backends work, and which one `auto` (or --backend) selects and why.
 */
export async function backendsCommand(options: BackendsFlags, output: Output): Promise<void> {
  // The browser backends never run in Node, so they are not offered or listed.
  const available = (await listBackends()).filter((status) => NODE_BACKENDS.includes(status.name));
  const report = await selectCliBackend(options.backend);
  if (options.json) {
    output.out(`${JSON.stringify({ type: 'result', native: report.native, available, selected: report })}\n`);
    return;
  }
  const row = (ok: boolean, name: string, reason: string) => `  ${ok ? 'ok  ' : 'no  '} ${name.padEnd(14)} ${reason}`;
  const lines = [
    row(
      report.native.available,
      'native',
      report.native.available ? `${report.native.description}: trains each step as one ONNX graph` : report.native.description,
    ),
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
