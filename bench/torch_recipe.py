#!/usr/bin/python3
"""The course notebook's recipe in PyTorch, timed on a sample and projected to the full data, for bench/recipe.mjs.

experiments/torch_notebook.py's recipe (random init, phase 1 fc only Adam 1e-3 × 3 epochs, phase 2 every
layer Adam 1e-5 × 5, batch 32, model.train()), here with the images resized per batch as the notebook's
transforms do (torchvision's resize, antialiased, to --resize px), the validation split scored after every
epoch and the test split at the end, as `medxfer train --preset notebook` does. On the first --train-limit
training and --eval-limit evaluation images, one JSON line: each epoch's training images/s and the evaluation
images/s, from which bench/recipe.mjs projects the full run the same way it projects medxfer's.

    python3 bench/torch_recipe.py DATA.npz [--resize 224] [--train-limit 96] [--eval-limit 64] [--threads 1]
"""
import argparse
import importlib.util
import json
import pathlib
import time

import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as TF

spec = importlib.util.spec_from_file_location('torch_notebook', pathlib.Path(__file__).resolve().parents[1] / 'experiments' / 'torch_notebook.py')
notebook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebook)

p = argparse.ArgumentParser()
p.add_argument('data')
p.add_argument('--resize', type=int, default=224)
p.add_argument('--train-limit', type=int, default=96)
p.add_argument('--eval-limit', type=int, default=64)
p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)


class Resized(torch.nn.Module):
    """The model behind the notebook's per-image transform: 28 px batches resized on the way in."""

    def __init__(self, model, size):
        super().__init__()
        self.model, self.size = model, size

    def forward(self, x):
        return self.model(TF.resize(x, [self.size, self.size], antialias=True) if self.size else x)


def timed(f):
    started = time.perf_counter()
    result = f()
    return result, time.perf_counter() - started


data = np.load(a.data)
split = lambda name, limit: (notebook.inputs(data[f'{name}_images'][:limit]), torch.from_numpy(data[f'{name}_labels'][:limit, 0].astype(np.int64)))
x_train, y_train = split('train', a.train_limit)
x_val, y_val = split('val', a.eval_limit)
x_test, y_test = split('test', a.eval_limit)
torch.manual_seed(1)
base = torchvision.models.resnet18()
base.fc = torch.nn.Linear(512, 2)
model = Resized(base, a.resize)
generator = torch.Generator().manual_seed(1)
epochs, evaluation = [], 0.0
for phase, params, lr, count in [('head', base.fc.parameters(), 1e-3, 3), ('full', base.parameters(), 1e-5, 5)]:
    for q in base.parameters():
        q.requires_grad = phase == 'full'
    for q in base.fc.parameters():
        q.requires_grad = True
    optimizer = torch.optim.Adam(params, lr=lr)
    for _ in range(count):
        _, seconds = timed(lambda: notebook.run_epoch(model, optimizer, x_train, y_train, generator))
        epochs.append({'phase': phase, 'seconds': seconds, 'trainImgPerS': len(x_train) / seconds})
        evaluation += timed(lambda: notebook.evaluate(model, x_val, y_val))[1]
evaluation += timed(lambda: notebook.evaluate(model, x_test, y_test))[1]
evaluated = len(epochs) * len(x_val) + len(x_test)
print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'resize': a.resize, 'epochs': epochs, 'evalImgPerS': evaluated / evaluation}))
