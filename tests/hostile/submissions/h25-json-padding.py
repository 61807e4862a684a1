# ruff: noqa
# fmt: off
# hostile: JSON outputs padded to cost the grader memory: flags.json keeps its real answers and
#   pads just under its 1 MB limit with a third of a million `{}` under an ignored key (parsed,
#   they would take a worker ~30 times the file's size); answers.json pads its answers with 45 MB
#   of `{}` (the old 50 MB limit drove a worker to about 4 GB)
# base: reference
# insert: end
# %%
padded = dict(flags, pad=[])
text = json.dumps(padded)
room = 1024**2 - len(text) - 16
(OUTPUTS / "flags.json").write_text(text[:-2] + "{}," * (room // 3) + "{}]}")
with open(OUTPUTS / "answers.json", "w") as f:
    f.write(json.dumps(answers)[:-1] + ', "pad": [' + "{}," * (15 * 1024**2) + "{}]}")
