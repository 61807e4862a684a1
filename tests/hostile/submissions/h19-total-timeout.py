# ruff: noqa
# fmt: off
# hostile: stays under the per-cell limit but sleeps past the total one, in a subprocess
# base: reference
# insert: before:revenue
# %%
import subprocess

subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
# %%
subprocess.run(["sleep", "3"])
