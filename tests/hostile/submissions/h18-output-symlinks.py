# ruff: noqa
# fmt: off
# hostile: the outputs are symbolic links: to /etc/passwd, to this candidate's answer key on the
#   host (valid outside the sandbox), to another candidate's; and a hard link attempt to a
#   file outside the work dir
# base: release
# insert: after:load
# %%
import os

os.symlink("/etc/passwd", OUTPUTS / "orders_clean.csv")
os.symlink("__COURSE__/keys/__CANDIDATE__/orders-cleanup/answers.json", OUTPUTS / "flags.json")
os.symlink("__COURSE__/keys/reference/orders-cleanup/key/answers.json", OUTPUTS / "answers.json")
for target in ("/etc/passwd", "/opt/datalit/runner.py", "/usr/bin/python3"):
    try:
        os.link(target, f"hardlink-{os.path.basename(target)}")
        print("hard link made to", target)
    except OSError as e:
        print("hard link refused:", target, type(e).__name__)
print("links written")
