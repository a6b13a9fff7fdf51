"""The newsclean command line, measured: at exit, the bytes this process received through its sockets and its
peak RSS are written as JSON to the file named by ``$BENCH_PROBE`` (for ``bench/bench_dask.py``).

Every socket read of the process is counted (the Dask client's comms, the store's responses to its listing),
so what it says is all the client received, not only the results of tasks. The peak RSS is the process's
own (``VmHWM``), not the fork parent's; ``cpu`` is its own user and system seconds (not its children's).
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import runpy
import socket
import sys
from typing import Any

received = [0]


def _counted(name: str) -> None:
    original = getattr(socket.socket, name)

    def counting(self: socket.socket, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - as the method returns
        result = original(self, *args, **kwargs)
        received[0] += result if isinstance(result, int) else len(result)
        return result

    setattr(socket.socket, name, counting)


def _peak_rss() -> int:
    """This process's peak RSS: VmHWM, the high-water mark of its own memory (``getrusage``'s ``ru_maxrss``
    keeps the parent's peak across fork and exec, so a big parent would show in it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _report() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    probe = {"received": received[0], "peak_rss": _peak_rss(), "cpu": usage.ru_utime + usage.ru_stime}
    with open(os.environ["BENCH_PROBE"], "w", encoding="utf-8") as out:
        json.dump(probe, out)


if __name__ == "__main__":
    for method in ("recv", "recv_into"):
        _counted(method)
    atexit.register(_report)
    sys.argv = ["newsclean", *sys.argv[1:]]
    runpy.run_module("cli", run_name="__main__")
