#!/usr/bin/python3
"""Loads a model exported by `medxfer weights export` into torchvision's resnet18 with strict=True, runs it on
the images of the run's predictions-test.csv with the preprocessing the export's .json describes, and prints
the largest difference from medxfer's probabilities as JSON. Exit 0 when it is within --tolerance.

    /usr/bin/python3 scripts/check-torch-export.py RUN_DIR EXPORTED.pth [--tolerance 1e-4]
"""
import argparse
import csv
import json
import pathlib
import sys

import numpy as np
import torch
import torchvision


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("export")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    run = pathlib.Path(args.run)
    export = pathlib.Path(args.export)
    meta = json.loads(export.with_suffix(".json").read_text())
    config = json.loads((run / "config.json").read_text())

    model = torchvision.models.resnet18(num_classes=meta["num_classes"])
    model.load_state_dict(torch.load(export, weights_only=True), strict=True)
    model.eval()

    with open(run / "predictions-test.csv") as f:
        rows = list(csv.DictReader(f))
    score_columns = [c for c in rows[0] if c.startswith("score_")]
    indices = [int(r["index"]) for r in rows]
    expected = np.array([[float(r[c]) for c in score_columns] for r in rows], dtype=np.float64)

    images = np.load(config["dataset"]["source"])["test_images"][indices]
    if images.shape[1] != meta["input_size"]:
        raise SystemExit("this check covers runs without --resize")
    x = torch.tensor(images, dtype=torch.float32) / 255.0
    x = x.unsqueeze(1).repeat(1, 3, 1, 1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    mean = torch.tensor(meta["preprocessing"]["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(meta["preprocessing"]["std"]).view(1, -1, 1, 1)
    x = (x - mean) / std

    activate = torch.sigmoid if meta["activation"].startswith("sigmoid") else (lambda z: torch.softmax(z, dim=1))
    with torch.no_grad():
        p = activate(model(x))
        if config["plan"].get("tta") == "flip":
            p = (p + activate(model(torch.flip(x, dims=[3])))) / 2
    diff = float(np.abs(p.numpy().astype(np.float64) - expected).max())
    print(json.dumps({"images": len(rows), "max_abs_diff": diff, "tolerance": args.tolerance, "torch": torch.__version__, "torchvision": torchvision.__version__}))
    return 0 if diff <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
