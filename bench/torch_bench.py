"""PyTorch reference for bench/run.mjs: torchvision ResNet18 (1-channel input via a 1-channel conv1,
2 classes), one CPU thread, images/s for infer / train / frozen, printed as JSON (last line).
--volumes: the same network converted to volumes by the reference ACS / 2.5D definitions of
scripts/fixtures/make-volume-fixtures.py (volumes/s, infer and train, batch 8 at 28³, 4 at 64³).
python3 bench/torch_bench.py --sizes 28,64 [--batch 32] [--threads 1] [--volumes 28,64 --convs acs,2.5d]"""
import argparse, importlib.util, json, pathlib, time
import torch, torchvision

p = argparse.ArgumentParser()
p.add_argument('--sizes', default='28,64')
p.add_argument('--batch', type=int, default=32)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--volumes', default='')
p.add_argument('--convs', default='acs,2.5d')
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
if a.volumes:
    spec = importlib.util.spec_from_file_location('volume_reference', pathlib.Path(__file__).resolve().parents[1] / 'scripts' / 'fixtures' / 'make-volume-fixtures.py')
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    for size in [int(s) for s in a.volumes.split(',')]:
        for conv in a.convs.split(','):
            for mode in ['infer', 'train']:
                batch = 4 if size >= 64 else 8
                net = torchvision.models.resnet18(num_classes=2)
                net.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
                model = reference.convert(net, conv)
                x = torch.rand(batch, 1, size, size, size)
                y = torch.arange(batch) % 2
                opt = torch.optim.Adam(model.parameters(), lr=1e-4)
                loss_fn = torch.nn.CrossEntropyLoss()

                def step():
                    if mode == 'infer':
                        model.eval()
                        with torch.no_grad():
                            model(x)
                    else:
                        model.train()
                        opt.zero_grad()
                        loss_fn(model(x), y).backward()
                        opt.step()
                step()
                steps = 5 if mode == 'infer' else 3
                t = time.perf_counter()
                for _ in range(steps):
                    step()
                records.append({'backend': 'pytorch', 'torch': torch.__version__, 'size': size, 'volume': conv, 'mode': mode, 'batch': batch, 'threads': a.threads, 'imgPerS': batch * steps / (time.perf_counter() - t)})
print(json.dumps(records))
