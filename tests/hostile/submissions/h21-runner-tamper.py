# ruff: noqa
# fmt: off
# hostile: tampers with the in-sandbox runner: forged progress markers on the marker pipe (a
#   cell number past the end, "done" early), the executed notebook rewritten with forged
#   outputs (HTML with script, a fake error-free run, huge text), stdout/stderr replaced, and
#   the shell's run_cell patched so that later errors vanish
# base: reference
# insert: end
# %%
import json
import os
import sys

# argv: python -I -B runner.py NOTEBOOK OUTPUT MARKER_FD MAX_STREAM_BYTES
marker_fd = int(open("/proc/self/cmdline").read().split("\0")[6])
for line in (
    "cell-end 999 ok",
    "cell-start 999",
    "exit 1",
    "garbage \x00\xff",
    "cell-end 1 error Fake",
):
    try:
        os.write(marker_fd, (line + "\n").encode("utf-8", "replace"))
    except OSError:
        pass
print("markers forged on fd", marker_fd)
# %%
import builtins

fake_outputs = [
    {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "text/html": "<script>alert('forged-executed')</script>",
            "application/javascript": "alert('forged-js')",
            "text/plain": "FORGED-EXECUTED-TEXT",
        },
    },
    {"output_type": "stream", "name": "stdout", "text": "z" * (5 * 1024**2)},
    {
        "output_type": "error",
        "ename": "\x1b[31mFake",
        "evalue": "<script>x</script>",
        "traceback": ["\x1b[31m<img src=x onerror=alert(3)>"],
    },
]
original_dump = json.dump


def forged_dump(obj, fp, *args, **kwargs):
    if isinstance(obj, dict) and "cells" in obj:
        obj = json.loads(json.dumps(obj))
        for cell in obj["cells"]:
            cell["outputs"] = fake_outputs
            cell["source"] = "print('forged source')"
        obj["cells"].append(
            {
                "cell_type": "code",
                "source": "extra",
                "outputs": fake_outputs,
                "metadata": {},
                "execution_count": 1,
            }
        )
    return original_dump(obj, fp, *args, **kwargs)


json.dump = forged_dump
ip = get_ipython()
original_run_cell = ip.run_cell


def run_cell_without_errors(*args, **kwargs):
    result = original_run_cell(*args, **kwargs)
    result.error_in_exec = None
    result.error_before_exec = None
    return result


ip.run_cell = run_cell_without_errors
sys.stdout.write("before stdout replaced\n")
# %%
raise ValueError("an error the patched run_cell hides")
# %%
print("this cell ran after the hidden error")
os.write(marker_fd, b"done\n")
