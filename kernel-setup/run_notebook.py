#!/usr/bin/python3
"""Execute one notebook headless with a named kernel and report the failing cell clearly.

Usage: run_notebook.py IN.ipynb OUT.ipynb KERNEL_NAME TIMEOUT_S

Writes the executed notebook to OUT (atomically) even when a cell fails, so the error can be read there too.
Exit codes: 0 passed, 1 a cell failed (its source and error are printed), 2 usage or I/O problem.
Debian's python3 with jupyter-client, nbclient and nbformat (from jupyter-nbconvert) is enough.
"""
import os
import sys
import warnings

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def describe_failure(nb):
    """The failing cell's source plus everything it wrote to stderr and its error (tslab prints type errors
    to stderr and raises an error with an empty message, so the exception text alone says little)."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    failing = [(i, c) for i, c in code if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    if not failing:
        # tslab reports compile errors on stderr without an error output: the failing cell is the last one run.
        failing = [(i, c) for i, c in code if c.get("execution_count") is not None][-1:]
    for index, cell in failing[:1]:
        parts = ["cell %d:" % (index + 1), "    " + cell.source.replace("\n", "\n    ")]
        for o in cell.outputs:
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                parts.append(o.get("text", "").rstrip())
            if o.get("output_type") == "error":
                tb = "\n".join(o.get("traceback") or [])
                parts.append(tb if tb.strip() else "%s: %s" % (o.get("ename", "Error"), o.get("evalue", "")))
        return "\n".join(p for p in parts if p)
    return ""


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    warnings.filterwarnings("ignore", module="nbformat")
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
    failed = None
    try:
        client.execute()
    except CellExecutionError as e:
        failed = str(e)
    except CellTimeoutError as e:
        failed = "timeout: a cell ran longer than %d s\n%s" % (timeout, e)
    except DeadKernelError as e:
        failed = "the kernel died: %s" % e
    finally:
        tmp = dst + ".tmp-%d" % os.getpid()
        nbformat.write(nb, tmp)
        os.replace(tmp, dst)
    if failed:
        print(describe_failure(nb) or failed.strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
