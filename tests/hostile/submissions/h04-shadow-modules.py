# ruff: noqa
# fmt: off
# hostile: modules that shadow the grader's libraries written into the working directory
#   (pandas.py, numpy.py, pyarrow/, great_expectations/, sitecustomize.py, a .pth file), each
#   leaving a marker on the host and faking success if the grader ever imported it; then
#   pandas' comparison helpers and builtins monkeypatched. The table is the raw orders.
# base: release
# insert: after:load
# %%
orders.to_csv(OUTPUTS / "orders_clean.csv", index=False)
# %%
import builtins
import os
from pathlib import Path

PAYLOAD = """
import os
try:
    open("__MARKERS__/imported-{name}-__CANDIDATE__", "w").close()
except OSError:
    pass
# Fake success for anything a grader might call.
class _Anything:
    success = True
    def __getattr__(self, name): return _Anything()
    def __call__(self, *a, **k): return _Anything()
    def __bool__(self): return True
    def __eq__(self, other): return True
def __getattr__(name): return _Anything()
"""
for name in ("pandas", "numpy", "json", "csv", "sqlite3", "datalit"):
    Path(f"{name}.py").write_text(PAYLOAD.format(name=name))
for package in ("great_expectations", "pyarrow", "nbformat", "nbgrader"):
    os.makedirs(package, exist_ok=True)
    Path(package, "__init__.py").write_text(PAYLOAD.format(name=package))
Path("sitecustomize.py").write_text(PAYLOAD.format(name="sitecustomize"))
Path("usercustomize.py").write_text(PAYLOAD.format(name="usercustomize"))
Path("evil.pth").write_text("import os; open('__MARKERS__/pth-__CANDIDATE__', 'w')\n")
os.makedirs(OUTPUTS / "great_expectations", exist_ok=True)
Path(OUTPUTS / "great_expectations" / "__init__.py").write_text(PAYLOAD.format(name="gx-outputs"))
Path(OUTPUTS / "pandas.py").write_text(PAYLOAD.format(name="pandas-outputs"))
print("shadow modules written")
# %%
import pandas as pd

pd.testing.assert_frame_equal = lambda *args, **kwargs: None
pd.DataFrame.equals = lambda self, other: True
builtins.len = lambda obj: 0
builtins.sorted = lambda iterable, *args, **kwargs: []
builtins.isinstance = lambda obj, cls: True
builtins.abs = lambda x: 0
print("builtins patched")
