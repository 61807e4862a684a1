# ruff: noqa
# fmt: off
# hostile: the outputs are named pipes (a reader blocks forever), a socket and a folder; the
#   runner's executed notebook is replaced by a folder after the last cell
# base: release
# insert: after:load
# %%
import os
import socket

os.mkfifo(OUTPUTS / "orders_clean.csv")
os.mkfifo(OUTPUTS / "flags.json")
server = socket.socket(socket.AF_UNIX)
server.bind(str(OUTPUTS / "answers.json"))
os.mkfifo("fifo-in-workdir")
print("pipes made")
# %%
import atexit
import shutil


def replace_executed():
    for name in (".datalit/executed.ipynb", ".datalit/executed.ipynb.tmp"):
        try:
            os.remove(name)
        except OSError:
            pass
        os.makedirs(name, exist_ok=True)


replace_executed()
atexit.register(replace_executed)
