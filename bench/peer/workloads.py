"""The PyTorch peer of the sdae benchmark: the same four workloads as bench/src/workloads.mjs.

Same shapes, initial-weight ranges, optimiser (plain SGD), learning rates, batch sizes, batch
order and step counts; the dA's masking noise is drawn per batch, its weights are tied and its
cost is the cross-entropy summed over pixels and averaged over the batch. run.mjs starts one
process per workload (and whole-jobs.mjs LENET, the lenet preset's epoch) and passes the plan (stage names and step counts) it measures itself:

    /usr/bin/python3 peer/workloads.py --workload W1 --data DIR --plan '{"stages":[{"name":"train","steps":125}]}'

It prints one line `BENCH_RESULT {json}` with the same timing fields as run-workload.mjs.
Needs Debian's python3-torch (and libopenblas0-pthread, else torch uses the reference BLAS).
run.mjs sets OMP_NUM_THREADS and OPENBLAS_NUM_THREADS to --threads and OMP_WAIT_POLICY=PASSIVE
(see peerEnvironment in src/peer.mjs: without it, the two thread pools fight over 2 cores).
"""

import argparse
import gzip
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MEGABYTE = 1024 * 1024


def read_idx(directory, name):
    """Reads one MNIST IDX file (optionally gzipped), as @sdae/datasets does."""
    for candidate in (name, name + '.gz', name.replace('-idx', '.idx'), name.replace('-idx', '.idx') + '.gz'):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            with open(path, 'rb') as handle:
                data = handle.read()
            if data[:2] == b'\x1f\x8b':
                data = gzip.decompress(data)
            dimensions = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dimensions)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)
    raise FileNotFoundError(f'workloads.py: {name} not found in {directory}; pass --data, the directory of the four MNIST IDX files.')


def load_train(directory, count):
    """The first `count` training images as float32 rows in [0, 1], and their labels."""
    images = read_idx(directory, 'train-images-idx3-ubyte')[:count]
    labels = read_idx(directory, 'train-labels-idx1-ubyte')[:count]
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def current_rss_mb():
    with open('/proc/self/statm') as handle:
        return int(handle.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / MEGABYTE


def loaded_blas():
    """The BLAS library this process mapped, to tell OpenBLAS from the reference BLAS."""
    with open('/proc/self/maps') as handle:
        paths = {line.split()[-1] for line in handle if 'blas' in line.lower() and '/' in line}
    return sorted(paths)


class StepClock:
    """Stage start and step end times, as bench/src/step-clock.mjs."""

    def __init__(self):
        self.stages = []

    def begin(self, name):
        self.stages.append({'name': name, 'started': time.perf_counter(), 'ends': []})

    def step(self):
        self.stages[-1]['ends'].append(time.perf_counter())

    def summary(self, warmup):
        result = []
        for stage in self.stages:
            ends = stage['ends']
            steps = len(ends)
            skipped = min(warmup, steps - 1)
            steady_start = stage['started'] if skipped == 0 else ends[skipped - 1]
            result.append({
                'name': stage['name'],
                'steps': steps,
                'warmupSteps': skipped,
                'seconds': ends[-1] - stage['started'],
                'msPerStep': 1000 * (ends[-1] - steady_start) / (steps - skipped),
                'firstStepMs': 1000 * (ends[0] - stage['started']),
            })
        return result


def uniform(shape, bound, generator):
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


def sigmoid_bound(fan_in, fan_out):
    """The tutorial's Uniform(+-4 sqrt(6 / (fan_in + fan_out))) for sigmoid units."""
    return 4 * math.sqrt(6 / (fan_in + fan_out))


def autoencoder_cost(x, weights, hidden_bias, visible_bias, level):
    """The dA tutorial's cost: mask, encode, decode with W transposed, cross-entropy summed over pixels, mean over the batch."""
    corrupted = x * (torch.rand_like(x) >= level)
    hidden = torch.sigmoid(corrupted @ weights + hidden_bias)
    logits = hidden @ weights.t() + visible_bias
    return F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / x.shape[0]


def train_w1(data, plan, clock, generator):
    x, _ = load_train(data, 50_000)
    baseline = current_rss_mb()
    weights = nn.Parameter(uniform((784, 500), sigmoid_bound(784, 500), generator))
    hidden_bias = nn.Parameter(torch.zeros(500))
    visible_bias = nn.Parameter(torch.zeros(784))
    optimizer = torch.optim.SGD([weights, hidden_bias, visible_bias], lr=0.1)
    clock.begin('train')
    for index in range(plan['stages'][0]['steps']):
        batch = x[index * 20:(index + 1) * 20]
        optimizer.zero_grad()
        cost = autoencoder_cost(batch, weights, hidden_bias, visible_bias, 0.3)
        cost.backward()
        optimizer.step()
        cost.item()
        clock.step()
    return baseline


class NotebookCnn(nn.Module):
    """One 5x5 filter, a bias per feature-map position, ReLU, dense 576 -> 10."""

    def __init__(self):
        super().__init__()
        self.convolution = nn.Conv2d(1, 1, 5, bias=False)
        self.bias = nn.Parameter(torch.zeros(1, 24, 24))
        self.output = nn.Linear(576, 10)

    def forward(self, x):
        return self.output(F.relu(self.convolution(x) + self.bias).flatten(1))


class SmallCnn(nn.Module):
    """Conv 5x5x8 + ReLU + max-pool 2, conv 5x5x16 + ReLU + max-pool 2, dense 256 -> 10."""

    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(1, 8, 5)
        self.second = nn.Conv2d(8, 16, 5)
        self.output = nn.Linear(256, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.first(x)), 2)
        x = F.max_pool2d(F.relu(self.second(x)), 2)
        return self.output(x.flatten(1))


def train_sampled(model, data, plan, clock, generator):
    """The notebook's loop: a random minibatch of 100 per iteration, SGD 0.1, loss and minibatch accuracy read each iteration."""
    x, y = load_train(data, 60_000)
    baseline = current_rss_mb()
    images = x.view(-1, 1, 28, 28)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    clock.begin('train')
    for _ in range(plan['stages'][0]['steps']):
        indices = torch.randint(0, len(images), (100,), generator=generator)
        batch, labels = images[indices], y[indices]
        optimizer.zero_grad()
        logits = model(batch)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        loss.item()
        (logits.argmax(1) == labels).sum().item()
        clock.step()
    return baseline


class LeNet(nn.Module):
    """The lenet preset: conv 5x5x20 + ReLU + max-pool 2, conv 5x5x50 + ReLU + max-pool 2, dense 500 + ReLU, dense 10."""

    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(1, 20, 5)
        self.second = nn.Conv2d(20, 50, 5)
        self.hidden = nn.Linear(800, 500)
        self.output = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.first(x)), 2)
        x = F.max_pool2d(F.relu(self.second(x)), 2)
        return self.output(F.relu(self.hidden(x.flatten(1))))


def train_lenet(data, plan, clock, generator):
    """`sdae cnn --preset lenet`'s epoch: shuffled minibatches of 50 of the first 50,000 images, Adam 1e-3, the loss read each step."""
    x, y = load_train(data, 50_000)
    baseline = current_rss_mb()
    images = x.view(-1, 1, 28, 28)
    model = LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(images), generator=generator)
    clock.begin('train')
    for index in range(plan['stages'][0]['steps']):
        batch = order[(index * 50) % len(images):(index * 50) % len(images) + 50]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[batch]), y[batch])
        loss.backward()
        optimizer.step()
        loss.item()
        clock.step()
    return baseline


def train_w4(data, plan, clock, generator):
    """SdA 784-1000-1000-1000-10: greedy pretraining (SGD 0.001, masking 0.1/0.2/0.3) then fine-tuning (SGD 0.1), batch 20, sequential batches."""
    x, y = load_train(data, 50_000)
    baseline = current_rss_mb()
    sizes = [784, 1000, 1000, 1000]
    levels = [0.1, 0.2, 0.3]
    weights = [nn.Parameter(uniform((sizes[i], sizes[i + 1]), sigmoid_bound(sizes[i], sizes[i + 1]), generator)) for i in range(3)]
    hidden_biases = [nn.Parameter(torch.zeros(sizes[i + 1])) for i in range(3)]
    visible_biases = [nn.Parameter(torch.zeros(sizes[i])) for i in range(3)]
    output_weights = nn.Parameter(torch.zeros(1000, 10))
    output_bias = nn.Parameter(torch.zeros(10))
    stages = {stage['name']: stage['steps'] for stage in plan['stages']}
    for layer in range(3):
        optimizer = torch.optim.SGD([weights[layer], hidden_biases[layer], visible_biases[layer]], lr=0.001)
        clock.begin(f'pretrain{layer}')
        for index in range(stages[f'pretrain{layer}']):
            batch = x[index * 20:(index + 1) * 20]
            with torch.no_grad():
                for below in range(layer):
                    batch = torch.sigmoid(batch @ weights[below] + hidden_biases[below])
            optimizer.zero_grad()
            cost = autoencoder_cost(batch, weights[layer], hidden_biases[layer], visible_biases[layer], levels[layer])
            cost.backward()
            optimizer.step()
            cost.item()
            clock.step()
    optimizer = torch.optim.SGD([*weights, *hidden_biases, output_weights, output_bias], lr=0.1)
    clock.begin('finetune')
    for index in range(stages['finetune']):
        hidden = x[index * 20:(index + 1) * 20]
        labels = y[index * 20:(index + 1) * 20]
        for layer in range(3):
            hidden = torch.sigmoid(hidden @ weights[layer] + hidden_biases[layer])
        optimizer.zero_grad()
        loss = F.cross_entropy(hidden @ output_weights + output_bias, labels)
        loss.backward()
        optimizer.step()
        loss.item()
        clock.step()
    return baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workload', required=True, choices=['W1', 'W2', 'W3', 'W4', 'LENET'])
    parser.add_argument('--data', required=True, help='the directory of the MNIST IDX files')
    parser.add_argument('--plan', required=True, help='JSON {"stages": [{"name", "steps"}]} from run.mjs')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    plan = json.loads(arguments.plan)
    generator = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    clock = StepClock()
    if arguments.workload == 'W1':
        baseline = train_w1(arguments.data, plan, clock, generator)
    elif arguments.workload == 'W2':
        baseline = train_sampled(NotebookCnn(), arguments.data, plan, clock, generator)
    elif arguments.workload == 'W3':
        baseline = train_sampled(SmallCnn(), arguments.data, plan, clock, generator)
    elif arguments.workload == 'LENET':
        baseline = train_lenet(arguments.data, plan, clock, generator)
    else:
        baseline = train_w4(arguments.data, plan, clock, generator)
    result = {
        'workload': arguments.workload,
        'backend': 'pytorch',
        'status': 'ok',
        'backendDetail': f'torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {", ".join(loaded_blas()) or "unknown"}',
        'torchVersion': torch.__version__,
        'threads': torch.get_num_threads(),
        'environment': {name: os.environ.get(name) for name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_WAIT_POLICY')},
        'blas': loaded_blas(),
        'seconds': clock.stages[-1]['ends'][-1] - clock.stages[0]['started'],
        'baselineRssMb': baseline,
        'stages': clock.summary(arguments.warmup),
        # ru_maxrss is in kilobytes on Linux.
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MEGABYTE,
    }
    print('BENCH_RESULT ' + json.dumps(result))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
