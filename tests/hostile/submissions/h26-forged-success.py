# ruff: noqa
# fmt: off
# hostile: the last cell forges the runner's progress markers ("cell-end N ok", "done") on the
#   marker pipe, then raises, so that the report would say every cell ran
# base: reference
# insert: end
# %%
import os

# argv: python -I -B runner.py NOTEBOOK OUTPUT MARKER_FD MAX_STREAM_BYTES
marker_fd = int(open("/proc/self/cmdline").read().split("\0")[6])
cells = open("/proc/self/cmdline").read().split("\0")[4]
import json
n = sum(1 for c in json.load(open(cells))["cells"] if c["cell_type"] == "code")
os.write(marker_fd, f"cell-end {n} ok\ndone\n".encode())
raise RuntimeError("the last cell failed")
