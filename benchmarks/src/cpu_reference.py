"""PyTorch reference for benchmarks/src/cpu-vs-pytorch.ts: a long-lived process that builds and steps
the same models as SE Zoo, on the CPU, so that both are timed alternately on the same machine.

    /usr/bin/python3 benchmarks/src/cpu_reference.py    (the driver spawns it)

Not a dependency of the project (CI never runs it): Debian's python3-torch (1.13) is enough, no
timm or torchvision. One JSON request per line on stdin, one JSON answer per line on stdout:

    {"op": "setup", "threads": 2}
        -> {"torch", "threads", "interopThreads", "mkldnn", "parallelInfo"}
    {"op": "build", "key": k, "model": "resnet20" | "seresnet20" | "seresnet50",
     "image": [H, W, C], "classes": 10, "batch": B, "mode": "train" | "infer",
     "channels_last": bool}
        -> {"key", "params", "runningStats", "buildMs", "warmupMs"}  (after 2 warm-up steps)
    {"op": "run", "key": k, "steps": n}  -> {"key", "times": [ms of each step], "cpuMs"}
    {"op": "free", "key": k}             -> {"key"}
    {"op": "quit"}
An error answers {"error": message} and the process goes on.

A training step is forward, cross-entropy, backward and torch.optim.SGD (lr 0.01, momentum 0.9)
after zero_grad(set_to_none=True), then loss.item() (SE Zoo's step reads its loss back too);
inference is model.eval() and a torch.no_grad() forward. float32, fixed random inputs and labels
made once at build.

The models are SE Zoo's, written out by hand (parameter counts checked by the driver):
- resnet20 / seresnet20: He et al.'s CIFAR ResNet-20 (packages/resnet/src/cifar.ts) — 3×3 stem of
  16 channels, three stages of three basic blocks (16/32/64), option-A shortcuts (subsample, zero-pad
  the new channels evenly), post-activation; the SE twin has SE on the residual branch after bn2,
  before the addition, with ⌊C/16⌋ hidden units, biases, ReLU and a sigmoid gate.
- seresnet50: timm's seresnet50 — 7×7/2 stem, 3×3/2 max pool (padding 1), bottlenecks [3, 4, 6, 3]
  striding on the 3×3, 1×1 convolution + BN projection shortcuts, SE after bn3 with timm's hidden
  width make_divisible(C/16, 8) (256 → 16, …, 2048 → 128).
"""

import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SE(nn.Module):
    """Squeeze (global average) → fc1 (1×1 conv, bias) → ReLU → fc2 (1×1 conv, bias) → sigmoid."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


def caffe_hidden(c):
    """SE Zoo's CIFAR default: ⌊C/16⌋ (divisor 1)."""
    return c // 16


def timm_hidden(c, reduction=16, divisor=8):
    """timm's make_divisible(C / r, 8) with round_limit 0, as SE Zoo's divisor 8."""
    v = c / reduction
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


class CifarBlock(nn.Module):
    def __init__(self, cin, cout, stride, se):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.se = SE(cout, caffe_hidden(cout)) if se else None
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.se is not None:
            y = self.se(y)
        shortcut = x
        if self.stride != 1 or self.extra:
            shortcut = x[:, :, :: self.stride, :: self.stride]
            before = self.extra // 2
            shortcut = F.pad(shortcut, (0, 0, 0, 0, before, self.extra - before))
        return F.relu(y + shortcut)


def cifar_resnet(depth, in_channels, classes, se):
    blocks = (depth - 2) // 6
    layers = [nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    c = 16
    for stage, width in enumerate([16, 32, 64]):
        for i in range(blocks):
            layers.append(CifarBlock(c, width, 2 if stage > 0 and i == 0 else 1, se))
            c = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, se):
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.se = SE(cout, timm_hidden(cout)) if se else None
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(y + shortcut)


def timm_resnet50(in_channels, classes, se):
    layers = [
        nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    c = 64
    for stage, (planes, n) in enumerate(zip([64, 128, 256, 512], [3, 4, 6, 3])):
        for i in range(n):
            layers.append(Bottleneck(c, planes, 2 if stage > 0 and i == 0 else 1, se))
            c = planes * Bottleneck.expansion
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


def build_model(name, in_channels, classes):
    if name == "resnet20":
        return cifar_resnet(20, in_channels, classes, se=False)
    if name == "seresnet20":
        return cifar_resnet(20, in_channels, classes, se=True)
    if name == "seresnet50":
        return timm_resnet50(in_channels, classes, se=True)
    raise ValueError(f"unknown model {name!r} (resnet20, seresnet20 or seresnet50)")


class Workload:
    def __init__(self, req):
        torch.manual_seed(0)
        h, w, c = req["image"]
        classes = int(req.get("classes", 10))
        batch = int(req["batch"])
        self.mode = req["mode"]
        if self.mode not in ("train", "infer"):
            raise ValueError(f"mode {self.mode!r}: 'train' or 'infer'")
        self.model = build_model(req["model"], c, classes)
        self.params = sum(p.numel() for p in self.model.parameters())
        # SE Zoo keeps BN running statistics as (non-trainable) weights: tfjs's countParams counts them.
        self.running = sum(
            m.running_mean.numel() + m.running_var.numel()
            for m in self.model.modules()
            if isinstance(m, nn.BatchNorm2d)
        )
        self.x = torch.randn(batch, c, h, w)
        self.y = torch.randint(0, classes, (batch,))
        if req.get("channels_last"):
            self.model = self.model.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        if self.mode == "train":
            self.model.train()
            self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        else:
            self.model.eval()

    def step(self):
        if self.mode == "train":
            self.opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(self.x), self.y)
            loss.backward()
            self.opt.step()
            loss.item()
        else:
            with torch.no_grad():
                self.model(self.x)

    def run(self, steps):
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            self.step()
            times.append((time.perf_counter() - t0) * 1000)
        return times


def handle(req, workloads):
    op = req.get("op")
    if op == "setup":
        torch.set_num_threads(int(req["threads"]))
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set (a second setup): it can be set once per process
            pass
        return {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "interopThreads": torch.get_num_interop_threads(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "parallelInfo": torch.__config__.parallel_info(),
        }
    if op == "build":
        t0 = time.perf_counter()
        w = Workload(req)
        build_ms = (time.perf_counter() - t0) * 1000
        warmup = w.run(2)
        workloads[req["key"]] = w
        return {
            "key": req["key"],
            "params": w.params,
            "runningStats": w.running,
            "buildMs": build_ms,
            "warmupMs": warmup,
        }
    if op == "run":
        w = workloads.get(req["key"])
        if w is None:
            raise KeyError(f"no workload {req['key']!r} built")
        cpu = time.process_time()
        times = w.run(int(req["steps"]))
        # This process's CPU time over the steps (all threads): the driver tells it from others' use.
        return {"key": req["key"], "times": times, "cpuMs": (time.process_time() - cpu) * 1000}
    if op == "free":
        workloads.pop(req["key"], None)
        return {"key": req["key"]}
    raise ValueError(f"unknown op {op!r}")


def main():
    workloads = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req.get("op") == "quit":
                break
            answer = handle(req, workloads)
        except Exception as e:  # noqa: BLE001 — every failure goes back to the driver
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
