"""The numpy notebook's "ReLU CNN" written plainly in PyTorch, as a user would.

One 5x5 filter, a bias per feature-map position, ReLU, dense 576 -> 10 and softmax; 3,000
minibatches of 100 drawn at random from the 60,000 training images, plain SGD at 0.1 on the mean
cross-entropy, the updates by hand, the loss and the minibatch accuracy read every iteration, the
test accuracy at the end. whole-jobs.mjs times this whole process against `sdae cnn --preset
notebook` and peer/workloads.py W2:

    /usr/bin/python3 peer/tutorial_cnn.py --data DIR [--iterations 3000] [--threads 2]
"""

import argparse
import time

import numpy
import torch
import torch.nn.functional as F

from workloads import read_idx


def load(directory, images, labels):
    x = read_idx(directory, images)
    y = read_idx(directory, labels)
    return torch.from_numpy(x.astype(numpy.float32) / 255.0).view(-1, 1, 28, 28), torch.from_numpy(y.astype(numpy.int64))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', required=True, help='the directory of the MNIST IDX files')
    parser.add_argument('--iterations', type=int, default=3000)
    parser.add_argument('--threads', type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    started = time.perf_counter()
    torch.manual_seed(0)

    train_x, train_y = load(arguments.data, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte')
    test_x, test_y = load(arguments.data, 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')

    learning_rate = 0.1
    batch_size = 100
    kernel = (torch.randn(1, 1, 5, 5) * 0.1).requires_grad_()
    conv_bias = torch.zeros(1, 24, 24, requires_grad=True)
    weights = (torch.randn(576, 10) * 0.01).requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    params = [kernel, conv_bias, weights, bias]

    def forward(x):
        hidden = F.relu(F.conv2d(x, kernel) + conv_bias)
        return hidden.flatten(1) @ weights + bias

    first_step = None
    for iteration in range(arguments.iterations):
        indices = torch.randint(0, len(train_x), (batch_size,))
        x, y = train_x[indices], train_y[indices]
        logits = forward(x)
        loss = F.cross_entropy(logits, y)
        gradients = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for param, gradient in zip(params, gradients):
                param -= learning_rate * gradient
        loss_value = loss.item()
        accuracy = (logits.argmax(1) == y).float().mean().item()
        if iteration % 100 == 99:
            print(f'iteration {iteration + 1}: loss {loss_value:.4f}, minibatch accuracy {100 * accuracy:.1f}%')
        if first_step is None:
            first_step = time.perf_counter()
    trained = time.perf_counter()
    with torch.no_grad():
        correct = sum((forward(test_x[i : i + 500]).argmax(1) == test_y[i : i + 500]).sum().item() for i in range(0, len(test_x), 500))
    print(f'test accuracy {100 * correct / len(test_x):.2f}%')
    print(
        f'start to first step {first_step - started:.2f} s, training {trained - first_step:.2f} s, '
        f'{1000 * (trained - first_step) / max(1, arguments.iterations - 1):.3f} ms/step'
    )


if __name__ == '__main__':
    main()
