"""PyTorch reference for bench/run.mjs: torchvision ResNet18 (1-channel input via a 1-channel conv1,
2 classes), one CPU thread, images/s for infer / train / frozen, printed as JSON (last line).
python3 bench/torch_bench.py --sizes 28,64 [--batch 32] [--threads 1]"""
import argparse, json, time
import torch, torchvision

p = argparse.ArgumentParser()
p.add_argument('--sizes', default='28,64')
p.add_argument('--batch', type=int, default=32)
p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
records = []
for size in [int(s) for s in a.sizes.split(',')]:
    for mode in ['infer', 'train', 'frozen']:
        batch = 16 if size >= 224 and mode != 'infer' else a.batch
        model = torchvision.models.resnet18(num_classes=2)
        # The tfjs model folds grey→RGB into conv1 (one input channel); same cost here.
        model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        x = torch.rand(batch, 1, size, size)
        y = torch.arange(batch) % 2
        params = model.parameters() if mode == 'train' else model.fc.parameters()
        opt = torch.optim.Adam(params, lr=1e-4)
        loss_fn = torch.nn.CrossEntropyLoss()
        body = torch.nn.Sequential(*list(model.children())[:-1])

        def step():
            if mode == 'infer':
                model.eval()
                with torch.no_grad():
                    model(x)
            elif mode == 'train':
                model.train()
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()
            else:
                model.eval()
                with torch.no_grad():
                    f = torch.flatten(body(x), 1)
                opt.zero_grad()
                loss_fn(model.fc(f), y).backward()
                opt.step()
        for _ in range(2):
            step()
        steps = 10 if mode != 'train' else 5
        t = time.perf_counter()
        for _ in range(steps):
            step()
        dt = time.perf_counter() - t
        records.append({'backend': 'pytorch', 'torch': torch.__version__, 'size': size, 'mode': mode, 'batch': batch, 'threads': a.threads, 'imgPerS': batch * steps / dt})
print(json.dumps(records))
