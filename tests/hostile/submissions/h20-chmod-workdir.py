# ruff: noqa
# fmt: off
# hostile: once its outputs are written, takes every permission away from them, from the
#   runner's folder and from the work dir itself (so that the grader can neither read nor
#   delete them, and the runner cannot save the notebook)
# base: reference
# insert: end
# %%
import os

for path in ("outputs/orders_clean.csv", "outputs/flags.json", "outputs/answers.json"):
    os.chmod(path, 0)
os.chmod("outputs", 0)
os.chmod(".datalit", 0)
os.chmod(".", 0)
print("permissions removed")
