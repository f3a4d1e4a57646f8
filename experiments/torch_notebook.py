#!/usr/bin/python3
"""The course notebook's recipe in PyTorch (Debian's python3-torch 1.13), from random initialisation, at 28 px.

torchvision's resnet18 with a new 2-class fc; grey images repeated to 3 channels, ToTensor, ImageNet
normalisation; phase 1 trains the fc only (Adam 1e-3, 3 epochs), phase 2 every layer (Adam 1e-5, 5 epochs);
batch 32, shuffled, model.train() in both phases (BatchNorm statistics update as in the notebook). Test
accuracy by argmax (= probability > 0.5) and ROC AUC (scikit-learn) of the final model, as medxfer's
`--preset notebook --weights none` reports them.

    python3 experiments/torch_notebook.py DATA.npz SEED [SEED ...]

Prints one JSON line per seed. experiments/run.mjs runs it for seeds 1-3 when PyTorch is installed.
"""
import json
import sys
import time

import numpy as np
import torch
import torchvision
from sklearn.metrics import roc_auc_score

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def inputs(images):
    x = torch.from_numpy(images).float().div(255).unsqueeze(1).repeat(1, 3, 1, 1)
    return (x - MEAN) / STD


def run_epoch(model, optimizer, x, y, generator):
    model.train()
    order = torch.randperm(len(x), generator=generator)
    for start in range(0, len(x), 32):
        batch = order[start:start + 32]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        p = torch.cat([torch.softmax(model(x[s:s + 256]), 1)[:, 1] for s in range(0, len(x), 256)]).numpy()
    return float(roc_auc_score(y.numpy(), p)), float(((p > 0.5) == (y.numpy() == 1)).mean())


def main(path, seeds):
    data = np.load(path)
    x_train, y_train = inputs(data['train_images']), torch.from_numpy(data['train_labels'][:, 0].astype(np.int64))
    x_test, y_test = inputs(data['test_images']), torch.from_numpy(data['test_labels'][:, 0].astype(np.int64))
    for seed in seeds:
        started = time.time()
        torch.manual_seed(seed)
        model = torchvision.models.resnet18()
        model.fc = torch.nn.Linear(512, 2)
        generator = torch.Generator().manual_seed(seed)
        for p in model.parameters():
            p.requires_grad = False
        for p in model.fc.parameters():
            p.requires_grad = True
        head = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
        for _ in range(3):
            run_epoch(model, head, x_train, y_train, generator)
        for p in model.parameters():
            p.requires_grad = True
        full = torch.optim.Adam(model.parameters(), lr=1e-5)
        for _ in range(5):
            run_epoch(model, full, x_train, y_train, generator)
        auc, acc = evaluate(model, x_test, y_test)
        print(json.dumps({'seed': seed, 'testAuc': auc, 'testAcc': acc, 'minutes': (time.time() - started) / 60, 'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main(sys.argv[1], [int(s) for s in sys.argv[2:]])
