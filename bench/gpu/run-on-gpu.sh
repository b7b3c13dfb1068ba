#!/bin/bash
# On a Linux x64 machine with an NVIDIA GPU, in one command of at most 10 minutes and without
# network: unpacks bench/gpu/pack.sh's tarball, runs W1-W4 on the native engine on cpu, webgpu
# (Vulkan through onnxruntime-node's Dawn) and cuda (where onnxruntime-node's CUDA provider files
# and CUDA 12 + cuDNN 9 are present; skipped with the reason otherwise) against the same workloads
# in that machine's PyTorch on CUDA, and prints one table.
#
#   bash bench/gpu/run-on-gpu.sh bench/gpu/out/sdae-gpu-bench.tar.xz
#
# SDAE_GPU_FRACTION (default 0.02 of W1's epoch and W2's iterations), SDAE_GPU_W4_FRACTION
# (0.004), SDAE_GPU_DEVICES (cpu,webgpu,cuda) and SDAE_PEER_PYTHON (python3) size it.
set -u
tarball=$(realpath "${1:-bench/gpu/out/sdae-gpu-bench.tar.xz}")
work=${SDAE_GPU_WORK:-/tmp/sdae-gpu-bench}
rm -rf "$work" && mkdir -p "$work"
tar -C "$work" --strip-components=1 -xJf "$tarball" || exit 1
cd "$work" || exit 1
lib=bench/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
xz -d -T0 "$lib/libonnxruntime.so.1.xz" || exit 1

# The Vulkan loader: the system's, else the carried package's (or library).
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  mkdir -p vulkan/root
  for deb in vulkan/*.deb; do [ -e "$deb" ] && dpkg-deb -x "$deb" vulkan/root; done
  export LD_LIBRARY_PATH=$work/vulkan/root/usr/lib/x86_64-linux-gnu:$work/vulkan:${LD_LIBRARY_PATH:-}
fi
# NVIDIA's Vulkan driver: its ICD manifest, else one written for the driver's libGLX_nvidia.so.0
# (containers often mount the library without the manifest).
if ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  glx=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ { print $NF; exit }')
  if [ -n "$glx" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" >vulkan/nvidia_icd.json
    export VK_ICD_FILENAMES=$work/vulkan/nvidia_icd.json
  else
    echo "no NVIDIA Vulkan driver (libGLX_nvidia.so.0) here: webgpu will say why it cannot start"
  fi
fi
# CUDA 12 and cuDNN 9 from pip's nvidia-* wheels, where PyTorch brought them.
for folder in $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, d, "lib") for p in nvidia.__path__ for d in os.listdir(p)))' 2>/dev/null); do
  LD_LIBRARY_PATH=$folder:${LD_LIBRARY_PATH:-}
done
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not found"
uptime
timeout 560 bin/node bench/src/run.mjs --workloads W1,W2,W3,W4 --backends native \
  --devices "${SDAE_GPU_DEVICES:-cpu,webgpu,cuda}" --no-stock --python "$work/bench/gpu/python-shim.sh" \
  --fraction "${SDAE_GPU_FRACTION:-0.02}" --w4-fraction "${SDAE_GPU_W4_FRACTION:-0.004}" --w3-steps 50 --warmup 3 \
  --threads "$(nproc)" --out "$work/results/gpu.json" | grep -v '^Warning: maxDynamic'
status=${PIPESTATUS[0]}
[ -d "${OUT:-}" ] && cp -r "$work/results" "$OUT/" 2>/dev/null
exit "$status"
