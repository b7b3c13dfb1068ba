// What a GPU execution provider runs on. onnxruntime-node does not report the adapter Dawn or CUDA
// picked, so it is read where the drivers publish it: the kernel's DRM devices and NVIDIA's
// /proc files for hardware, the Vulkan ICDs (the drivers Dawn can load) for lavapipe.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { AdapterInfo } from './adapter-info';

const PCI_VENDORS: Record<string, string> = { '0x10de': 'NVIDIA', '0x1002': 'AMD', '0x8086': 'Intel' };

/** Vulkan ICD file names of each hardware vendor's drivers (Mesa's and the vendors' own). */
const ICD_PATTERNS: Record<string, RegExp> = {
  NVIDIA: /^nvidia/,
  AMD: /^(radeon|amd)/,
  Intel: /^intel/,
};

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The Vulkan driver manifests the loader reads: VK_DRIVER_FILES / VK_ICD_FILENAMES, else the standard folders. */
function vulkanIcds(): string[] {
  const named = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  if (named !== undefined && named !== '') return named.split(':').filter((path) => existsSync(path));
  const folders = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return folders.flatMap((folder) => {
    try {
      return readdirSync(folder)
        .filter((name) => name.endsWith('.json'))
        .map((name) => join(folder, name));
    } catch {
      return [];
    }
  });
}

function nvidiaAdapter(): AdapterInfo | undefined {
  const version = read('/proc/driver/nvidia/version');
  if (version === undefined) return undefined;
  const driver = /Kernel Module\s+(?:for\s+\S+\s+)?([\d.]+)/.exec(version)?.[1] ?? 'unknown version';
  let model = 'GPU';
  try {
    const gpu = readdirSync('/proc/driver/nvidia/gpus')[0];
    const information = gpu === undefined ? undefined : read(join('/proc/driver/nvidia/gpus', gpu, 'information'));
    model = /Model:\s*(.+)/.exec(information ?? '')?.[1]?.trim() ?? model;
  } catch {
    // No per-GPU files: the driver's version is still known.
  }
  return { vendor: 'NVIDIA', architecture: model, driver: `NVIDIA driver ${driver}`, software: undefined };
}

/** The hardware GPUs the kernel drives (DRM devices), by vendor. */
function drmAdapters(): AdapterInfo[] {
  let cards: string[];
  try {
    cards = readdirSync('/sys/class/drm').filter((name) => /^card\d+$/.test(name));
  } catch {
    return [];
  }
  return cards.flatMap((card) => {
    const device = join('/sys/class/drm', card, 'device');
    const vendor = PCI_VENDORS[read(join(device, 'vendor')) ?? ''];
    if (vendor === undefined) return [];
    let module = 'unknown driver';
    try {
      module = basename(readlinkSync(join(device, 'driver')));
    } catch {
      // No driver bound.
    }
    const version = read(join('/sys/module', module, 'version'));
    const id = read(join(device, 'device')) ?? 'unknown';
    return [
      {
        vendor,
        architecture: `${module} device ${id}`,
        driver: `${module}${version === undefined ? '' : ` ${version}`}`,
        software: undefined,
      },
    ];
  });
}

/** The Mesa version built into a driver library, read from the library itself. */
function mesaVersion(library: string): string {
  const candidates = isAbsolute(library)
    ? [library]
    : ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].map((folder) => join(folder, library));
  for (const path of candidates) {
    try {
      const match = findMesaVersion(readFileSync(path));
      if (match !== undefined) return match;
    } catch {
      // Not in this folder.
    }
  }
  return 'Mesa (version not found)';
}

const MESA = Buffer.from('Mesa ', 'latin1');
const MESA_VERSION = /^Mesa \d+\.\d+[\w.~+-]*/;

/**
 * The first `Mesa <major>.<minor>...` in a library's bytes: found with a byte search, since
 * decoding lavapipe's 10 MB library to a string for a regular expression cost 8 ms of every
 * `--device auto` start on a quiet machine, several times that under load.
 */
export function findMesaVersion(bytes: Buffer): string | undefined {
  for (let at = bytes.indexOf(MESA); at !== -1; at = bytes.indexOf(MESA, at + 1)) {
    // A version is a few characters; a longer window is read when one fills it.
    for (let window = 64; ; window *= 4) {
      const text = bytes.toString('latin1', at, at + window);
      const match = MESA_VERSION.exec(text);
      if (match === null) break;
      if (match[0].length < text.length || at + window >= bytes.length) return match[0];
    }
  }
  return undefined;
}

function lavapipeAdapter(icds: readonly string[]): AdapterInfo | undefined {
  const icd = icds.find((path) => /lvp_icd/.test(basename(path)));
  if (icd === undefined) return undefined;
  let library = 'libvulkan_lvp.so';
  try {
    library = (JSON.parse(readFileSync(icd, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path ?? library;
  } catch {
    // An unreadable manifest: the default library name.
  }
  return { vendor: 'Mesa', architecture: 'lavapipe (Vulkan on the CPU)', driver: mesaVersion(library), software: 'lavapipe' };
}

/**
 * The adapter a GPU provider runs on here, or undefined where the system does not say (macOS and
 * Windows: Metal and Direct3D 12 pick a hardware GPU). WebGPU on Linux takes the hardware GPU
 * whose Vulkan driver is installed (Dawn prefers a GPU to a CPU adapter), else lavapipe.
 */
export function findAdapter(provider: 'webgpu' | 'cuda' | 'coreml' | 'dml'): AdapterInfo | undefined {
  if (process.platform !== 'linux' || provider === 'dml' || provider === 'coreml') return undefined;
  const nvidia = nvidiaAdapter();
  if (provider === 'cuda') return nvidia;
  const icds = vulkanIcds();
  const withDriver = (adapter: AdapterInfo) => icds.some((path) => ICD_PATTERNS[adapter.vendor]?.test(basename(path)) === true);
  const hardware = [...(nvidia === undefined ? [] : [nvidia]), ...drmAdapters().filter((adapter) => adapter.vendor !== 'NVIDIA')];
  return hardware.find(withDriver) ?? lavapipeAdapter(icds);
}
