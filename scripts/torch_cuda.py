#!/usr/bin/env python3
"""Run a PyTorch timing script on the GPU, unchanged.

    python3 scripts/torch_cuda.py REFERENCE.py [its arguments...]

The reference builds its model and data with default devices and times steps with time.perf_counter(). Here the
default device becomes CUDA (torch >= 2.0) and perf_counter() first waits for queued GPU work, so the script's
own timings measure finished steps. Exits 3 with a JSON error line when CUDA is not available.
"""
import json
import runpy
import sys
import time

import torch

if len(sys.argv) < 2:
    sys.exit("usage: torch_cuda.py REFERENCE.py [args...]")
if not torch.cuda.is_available():
    print(json.dumps({"error": "torch.cuda.is_available() is False", "torch": torch.__version__}))
    sys.exit(3)
torch.set_default_device("cuda")
_perf_counter = time.perf_counter


def synced_perf_counter():
    torch.cuda.synchronize()
    return _perf_counter()


time.perf_counter = synced_perf_counter
print("torch_cuda: %s on %s" % (torch.__version__, torch.cuda.get_device_name(0)), file=sys.stderr)
script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
