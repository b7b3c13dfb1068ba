import { formatBackendReport, listBackends, selectBackend, type BackendName } from '@sdae/backend';
import type { Output } from '../cli';

/** `sdae backends`: which backends work here, and which one `auto` (or --backend) selects and why. */
export async function backendsCommand(options: { backend: BackendName | 'auto'; json: boolean }, output: Output): Promise<void> {
  const available = await listBackends();
  const report = await selectBackend({ backend: options.backend });
  if (options.json) {
    output.out(`${JSON.stringify({ available, selected: report })}\n`);
    return;
  }
  const lines = available.map((status) => `  ${status.available ? 'ok  ' : 'no  '} ${status.name.padEnd(14)} ${status.reason}`);
  output.out(`Backends on this machine:\n${lines.join('\n')}\n\n${formatBackendReport(report)}\n`);
}
