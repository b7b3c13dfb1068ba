"""LeNet as `sdae cnn --preset lenet` trains it, written plainly in PyTorch, as a user would.

The Theano tutorial's LeNet shapes with ReLU (conv 5x5x20 + max-pool 2, conv 5x5x50 + max-pool 2,
dense 500, softmax), Adam at 1e-3, shuffled minibatches of 50 of the 50,000 training images (the
tutorial's split), the loss read every step, the validation and test accuracy after the epoch.
whole-jobs.mjs times this whole process against `sdae cnn --preset lenet --epochs 1` and
peer/workloads.py LENET:

    /usr/bin/python3 peer/tutorial_lenet.py --data DIR [--limit 50000] [--epochs 1] [--threads 2]
"""

import argparse
import time

import numpy
import torch
import torch.nn.functional as F
from torch import nn

from workloads import read_idx


def load(directory, images, labels):
    x = read_idx(directory, images)
    y = read_idx(directory, labels)
    return torch.from_numpy(x.astype(numpy.float32) / 255.0).view(-1, 1, 28, 28), torch.from_numpy(y.astype(numpy.int64))


def accuracy(model, x, y):
    with torch.no_grad():
        correct = sum((model(x[i : i + 500]).argmax(1) == y[i : i + 500]).sum().item() for i in range(0, len(x), 500))
    return 100 * correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', required=True, help='the directory of the MNIST IDX files')
    parser.add_argument('--limit', type=int, default=50_000, help='training images (the tutorial: 50,000; validation: the next 10,000)')
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    started = time.perf_counter()
    torch.manual_seed(1)

    x, y = load(arguments.data, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte')
    train_x, train_y = x[: arguments.limit], y[: arguments.limit]
    valid_x, valid_y = x[50_000 : 50_000 + min(10_000, arguments.limit)], y[50_000 : 50_000 + min(10_000, arguments.limit)]
    test_x, test_y = load(arguments.data, 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
    test_x, test_y = test_x[: arguments.limit], test_y[: arguments.limit]

    model = nn.Sequential(
        nn.Conv2d(1, 20, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(800, 500),
        nn.ReLU(),
        nn.Linear(500, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch_size = 50
    batches = len(train_x) // batch_size

    first_step = None
    for epoch in range(arguments.epochs):
        order = torch.randperm(len(train_x))
        costs = []
        for index in range(batches):
            batch = order[index * batch_size : (index + 1) * batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
            costs.append(loss.item())
            if first_step is None:
                first_step = time.perf_counter()
        print(f'epoch {epoch + 1}: loss {numpy.mean(costs):.4f}, validation accuracy {accuracy(model, valid_x, valid_y):.2f}%')
    trained = time.perf_counter()
    print(f'test accuracy {accuracy(model, test_x, test_y):.2f}%')
    print(
        f'start to first step {first_step - started:.2f} s, training {trained - first_step:.2f} s, '
        f'{1000 * (trained - first_step) / max(1, batches * arguments.epochs - 1):.3f} ms/step'
    )


if __name__ == '__main__':
    main()
