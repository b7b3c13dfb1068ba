"""The PyTorch peer (bench/peer/workloads.py) on CUDA, for bench/gpu: the same four workloads, the
same code, with every tensor made on the GPU (torch.set_default_device, a CUDA generator, the
MNIST rows moved once). Each step still reads its loss with .item(), which waits for the GPU, so
the step times are whole steps. Called as workloads.py would be:

    python3 peer_cuda.py ../peer/workloads.py --workload W1 --data DIR --plan '{...}'

SDAE_PEER_DEVICE=cpu runs it on the CPU (to try the wiring on a machine without a GPU).
"""

import importlib.util
import os
import sys

import torch

device = os.environ.get('SDAE_PEER_DEVICE', 'cuda')
if device == 'cuda' and not torch.cuda.is_available():
    sys.exit('peer_cuda.py: this PyTorch has no CUDA device (torch.cuda.is_available() is False); install a CUDA build of torch.')

script = sys.argv.pop(1)
spec = importlib.util.spec_from_file_location('workloads', script)
workloads = importlib.util.module_from_spec(spec)
spec.loader.exec_module(workloads)

if hasattr(torch, 'set_default_device'):
    torch.set_default_device(device)
elif device == 'cuda':
    sys.exit(f'peer_cuda.py: torch {torch.__version__} is older than 2.0 (no torch.set_default_device); install a CUDA build of torch 2.')
load_train = workloads.load_train
workloads.load_train = lambda directory, count: tuple(tensor.to(device) for tensor in load_train(directory, count))
cpu_generator = torch.Generator
torch.Generator = lambda *arguments, **options: cpu_generator(device=device)
name = torch.cuda.get_device_name(0) if device == 'cuda' else 'cpu'
workloads.loaded_blas = lambda: [f'{device}: {name}']
workloads.main()
