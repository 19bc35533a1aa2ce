#!/usr/bin/python3
"""Which BLAS does this process's PyTorch compute with? Facts only; scripts/bench-blas.ts decides.

Debian's python3-torch links `libblas.so.3` and `liblapack.so.3`, which Debian's alternatives point at OpenBLAS when
`libopenblas0-pthread` is installed and at the netlib *reference* BLAS (libblas3, about 15x slower on a 512x512
matmul) when it is not; `torch.__config__.show()` says `BLAS_INFO=generic` in both cases. So the probe reads the
libraries this process has mapped (/proc/self/maps), asks the mapped libblas for `openblas_get_config` (only OpenBLAS
has it; it also names the core kernels chosen, which OPENBLAS_CORETYPE overrides), keeps torch's BLAS_INFO line, and
times a 512x512 float32 matmul on one thread as a second signal. Run alone it prints one JSON line:

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/torch_blas.py
"""
import ctypes
import json
import re
import time

import torch

MATMUL_N = 512


def mapped_libraries():
    """Paths of the BLAS/LAPACK/OpenBLAS/MKL shared objects mapped into this process, sorted."""
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and re.search(r"blas|lapack|mkl", parts[5].rsplit("/", 1)[-1], re.I):
                    paths.add(parts[5])
    except OSError:  # not Linux: no maps to read; the other signals decide
        pass
    return sorted(paths)


def openblas_info(path):
    """(openblas_get_config(), openblas_get_corename()) through the library at `path`, or (None, None)."""
    try:
        lib = ctypes.CDLL(path)
        cfg, core = lib.openblas_get_config, lib.openblas_get_corename
    except (OSError, AttributeError):
        return None, None
    cfg.restype = core.restype = ctypes.c_char_p
    return cfg().decode(), core().decode()


def matmul_ms(n=MATMUL_N, reps=5):
    """Median ms of an n x n float32 matmul on one torch thread (the caller's thread setting is restored)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b  # noqa: B018 (warm-up: loads the BLAS and its buffers)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b  # noqa: B018
        times.append((time.perf_counter() - t0) * 1e3)
    torch.set_num_threads(threads)
    return round(sorted(times)[reps // 2], 3)


def probe(time_matmul=True):
    """The BLAS facts of this process: a dict with JSON-ready values (see the file comment). `time_matmul=False`
    skips the timing (matmul_ms None): torch's libraries link the BLAS, so it is mapped once torch is imported."""
    ms = matmul_ms() if time_matmul else None
    libs = mapped_libraries()
    blas = next((p for p in libs if re.match(r"libblas\.so", p.rsplit("/", 1)[-1])), None)
    # Ask the libblas torch links (its sgemm is the one called); other mapped OpenBLAS files (e.g. an OpenBLAS
    # liblapack beside a reference libblas) say nothing about it. No libblas mapped: ask any OpenBLAS file.
    config, core = (None, None)
    for p in [blas] if blas else [p for p in libs if "openblas" in p]:
        config, core = openblas_info(p)
        if config:
            break
    info = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return dict(torch=torch.__version__, blas_info=info.group(1) if info else None, libraries=libs,
                blas_library=blas, openblas_config=config, openblas_corename=core, matmul_n=MATMUL_N,
                matmul_ms=ms)


if __name__ == "__main__":
    print(json.dumps(probe()))
