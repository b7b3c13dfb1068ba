"""The Theano tutorial's dA (dA.py, test_dA) translated line by line to PyTorch, as a user would.

One epoch of the 50,000 training images (the tutorial's split), batch 20, 784-500, masking 0.3:
the input is masked by a binomial draw, encoded by a sigmoid, decoded with the tied weights
transposed, the cost is the cross-entropy summed over pixels and averaged over the batch, the
gradients update the parameters by hand (W -= lr * gW), and the cost is read (.item()) every
step. whole-jobs.mjs times this whole process against `sdae da` and peer/workloads.py W1:

    /usr/bin/python3 peer/tutorial_da.py --data DIR [--limit 50000] [--threads 2]
"""

import argparse
import math
import time

import numpy
import torch

from workloads import read_idx


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', required=True, help='the directory of the MNIST IDX files')
    parser.add_argument('--limit', type=int, default=50_000, help='training images (the tutorial: 50,000)')
    parser.add_argument('--threads', type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    started = time.perf_counter()

    learning_rate = 0.1
    training_epochs = 1
    batch_size = 20
    corruption_level = 0.3
    n_visible = 28 * 28
    n_hidden = 500

    images = read_idx(arguments.data, 'train-images-idx3-ubyte')[: arguments.limit]
    train_set_x = torch.from_numpy(images.reshape(len(images), -1).astype(numpy.float32) / 255.0)
    n_train_batches = train_set_x.shape[0] // batch_size

    rng = numpy.random.RandomState(123)
    torch.manual_seed(2**30 % 123)
    bound = 4 * math.sqrt(6.0 / (n_hidden + n_visible))
    W = torch.tensor(rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)), dtype=torch.float32, requires_grad=True)
    bvis = torch.zeros(n_visible, requires_grad=True)
    bhid = torch.zeros(n_hidden, requires_grad=True)
    params = [W, bhid, bvis]

    def get_corrupted_input(x, corruption_level):
        return torch.bernoulli(torch.full_like(x, 1 - corruption_level)) * x

    def get_hidden_values(x):
        return torch.sigmoid(x @ W + bhid)

    def get_reconstructed_input(hidden):
        return torch.sigmoid(hidden @ W.t() + bvis)

    def get_cost_updates(x, corruption_level, learning_rate):
        tilde_x = get_corrupted_input(x, corruption_level)
        y = get_hidden_values(tilde_x)
        z = get_reconstructed_input(y)
        L = -torch.sum(x * torch.log(z) + (1 - x) * torch.log(1 - z), dim=1)
        cost = torch.mean(L)
        gparams = torch.autograd.grad(cost, params)
        with torch.no_grad():
            for param, gparam in zip(params, gparams):
                param -= learning_rate * gparam
        return cost

    first_step = None
    training_started = time.perf_counter()
    for epoch in range(training_epochs):
        c = []
        for batch_index in range(n_train_batches):
            x = train_set_x[batch_index * batch_size : (batch_index + 1) * batch_size]
            c.append(get_cost_updates(x, corruption_level, learning_rate).item())
            if first_step is None:
                first_step = time.perf_counter()
        print(f'Training epoch {epoch}, cost {numpy.mean(c, dtype="float64"):.4f}')
    ended = time.perf_counter()
    print(
        f'start to first step {first_step - started:.2f} s (since the script started, after importing torch), '
        f'training {ended - training_started:.2f} s, {1000 * (ended - first_step) / max(1, n_train_batches - 1):.3f} ms/step'
    )


if __name__ == '__main__':
    main()
