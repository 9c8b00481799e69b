"""PyTorch reference for `pnpm bench:gpu`: the same workloads as benchmarks/src/gpu.ts, eager fp32 with
TF32 off, on the same GPU, so that every SE Zoo figure has its PyTorch ratio.

    python3 gpu_reference.py --workloads plan.json --out torch.json [--smoke]
        [--parts kernels,models] [--models a,b]

plan.json holds the workloads, written by benchmarks/src/gpu.ts --plan (scripts/gpu/pack.sh does): the conv
layer shapes it takes from SE Zoo's SE-ResNet-50 and the models, so that both sides time exactly
the same work. Models: timm's resnet50, seresnet50 and
seresnext50_32x4d, and, written out here (timm has no such models), SE-MobileNet v1 (timm's
mobilenetv1_100 with SE after each pointwise activation, ⌊C/16⌋ hidden units) and the CIFAR
SE-ResNet-20 (three stages of 16/32/64 channels, option A shortcuts, SE before the addition).
"""

import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, warmup, reps, max_seconds):
    """Median wall time of fn() in ms (synchronised), after warm-up runs."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    start = time.perf_counter()
    while len(times) < reps and (len(times) < 2 or time.perf_counter() - start < max_seconds):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


class SE(nn.Module):
    def __init__(self, c, reduction=16):
        super().__init__()
        hidden = max(1, c // reduction)
        self.fc1 = nn.Conv2d(c, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, c, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


def se_mobilenet_v1(classes=1000):
    widths = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()]
    c = 32
    for w, s in zip(widths, strides):
        layers += [
            nn.Conv2d(c, c, 3, s, 1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU6(),
            nn.Conv2d(c, w, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU6(), SE(w),
        ]
        c = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


class CifarBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.se = SE(cout)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.se(self.bn2(self.conv2(y)))
        shortcut = x[:, :, :: self.stride, :: self.stride]
        if self.extra:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        return F.relu(y + shortcut)


def seresnet20(classes=10):
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    c = 16
    for stage, w in enumerate([16, 32, 64]):
        for i in range(3):
            layers.append(CifarBlock(c, w, 2 if stage > 0 and i == 0 else 1))
            c = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


def build(name, classes):
    if name == "se_mobilenetv1_100":
        return se_mobilenet_v1(classes)
    if name == "seresnet20":
        return seresnet20(classes)
    import timm

    return timm.create_model(name, num_classes=classes)


def bench_kernels(shapes, device, smoke):
    out = []
    for s in shapes:
        b, h, w, cin = s["input"]
        kh, kw, _, last = s["filter"]
        # A depthwise filter is [kh, kw, C, multiplier]: PyTorch's grouped conv with C groups.
        depthwise = s.get("depthwise", False)
        groups, cout = (cin, cin * last) if depthwise else (1, last)
        x = torch.randn(b, cin, h, w, device=device)
        weight = torch.randn(cout, cin // groups, kh, kw, device=device)
        pad = s["pad"]  # [top, bottom, left, right]
        xp = F.pad(x, (pad[2], pad[3], pad[0], pad[1]))
        y = F.conv2d(xp, weight, stride=s["stride"], groups=groups)
        dy = torch.randn_like(y)
        stride = [s["stride"], s["stride"]]
        args = (dy, xp, weight, None, stride, [0, 0], [1, 1], False, [0, 0], groups)
        row = {"name": s["name"], "inputMs": None}
        kinds = (("filter", [False, True, False]),)
        if not depthwise:
            kinds += (("input", [True, False, False]),)
        for kind, mask in kinds:
            fn = lambda: torch.ops.aten.convolution_backward(*args, mask)  # noqa: E731
            row[kind + "Ms"] = timed(fn, 2, 3 if smoke else 20, 2 if smoke else 5)
        out.append(row)
    return out


def bench_models(models, device, smoke):
    out = []
    for m in models:
        name, size, batch, classes = m["name"], m["size"], m["batch"], m["classes"]
        model = build(name, classes).to(device)
        x = torch.randn(batch, 3, size, size, device=device)
        target = torch.randint(0, classes, (batch,), device=device)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), target).backward()
            opt.step()

        model.train()
        train_ms = timed(step, 2, 3 if smoke else 10, 5 if smoke else 20)
        model.eval()

        def infer():
            with torch.no_grad():
                model(x)

        infer_ms = timed(infer, 2, 3 if smoke else 10, 5 if smoke else 20)
        out.append({
            "name": name, "size": size, "batch": batch,
            "trainImagesPerSecond": batch / train_ms * 1000,
            "inferImagesPerSecond": batch / infer_ms * 1000,
        })
        del model, opt
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--parts", default="kernels,models")
    p.add_argument("--workloads", required=True, help="JSON written by benchmarks/src/gpu.ts --plan")
    p.add_argument("--models", default=None, help="comma-separated subset of the plan's models")
    a, _ = p.parse_known_args()  # tuning flags of benchmarks/src/gpu.ts (--tile, …) pass through device.sh
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    device = "cuda" if torch.cuda.is_available() else "cpu"
    plan = json.load(open(a.workloads))
    if a.models:
        plan["models"] = [m for m in plan["models"] if m["name"] in a.models.split(",")]
    parts = a.parts.split(",")
    result = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "dtype": "float32 (TF32 off)",
        "kernels": bench_kernels(plan["kernels"], device, a.smoke) if "kernels" in parts else [],
        "models": bench_models(plan["models"], device, a.smoke) if "models" in parts else [],
    }
    json.dump(result, open(a.out, "w"), indent=1)
    print(f"PyTorch {result['torch']} on {result['device']}: wrote {a.out}")


if __name__ == "__main__":
    main()
