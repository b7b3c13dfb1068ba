// What a GPU adapter is, in words: platform-neutral (the browser build shares it).

/** The adapter a GPU execution provider runs on, as far as the system says. */
export interface AdapterInfo {
  /** E.g. 'NVIDIA', 'AMD', 'Intel', 'Mesa'. */
  vendor: string;
  /** E.g. 'NVIDIA H100 80GB HBM3', 'amdgpu device 0x73bf', 'lavapipe (Vulkan on the CPU)'. */
  architecture: string;
  /** E.g. 'NVIDIA driver 550.54.14', 'Mesa 25.0.7-2~bpo12+1'. */
  driver: string;
  /** The software renderer it is (e.g. 'lavapipe'), undefined for a hardware GPU. */
  software: string | undefined;
}

/** One line for reports: "Mesa lavapipe (Vulkan on the CPU), Mesa 25.0.7, software". */
export function formatAdapter(adapter: AdapterInfo): string {
  return `${adapter.vendor} ${adapter.architecture}, ${adapter.driver}${adapter.software === undefined ? '' : ', software'}`;
}
