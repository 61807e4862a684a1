"""The report pages read right: the per-anomaly summary agrees with the parts, plots show whole
labels, candidates read anomaly titles, the reviewer view shows the written finding, check titles
and the values the candidate's data required, the rubric is linked, and each page fits a phone.

Pages are built from made-up results (as in test_report.py, no sandbox). The browser test drives
headless Chromium over the DevTools protocol on a pipe (no extra package): our pages forbid
scripts, so layout is measured from outside the page, at 1280 and 390 px wide, and a screenshot
of every page at every width is kept in the test's tmp_path.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import html
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from datalit.generators.anomalies.registry import REGISTRY
from datalit.grading.report import ANOMALY_TITLES, anomaly_title, bar_chart, cohort_report, report
from datalit.grading.results import NOT_ATTEMPTED, Score
from tests.grading.test_report import (
    CUSTOMERS,
    EXERCISE,
    KIT,
    ROWS,
    SCRIPT,
    SUITE,
    SUITE_PARAMETERS,
    graded,
    part_scores,
    validation,
)
from tests.grading.test_write_bounds import page_problems

REVENUE = next(p for p in EXERCISE.parts if p.id == "revenue_by_country")
FINDING = next(p for p in EXERCISE.parts if p.kind == "manual")
FINDING_TEXT = f"Orders were exported twice; {SCRIPT} the status case varies.\n\n- 40 orphans"
INERT_HEADING = "## 4&#46; Your finding\n\n"
"""How autograded/ holds a markdown heading (made inert by grading/inert.py)."""
SVG = ""  # inline SVG in HTML: no namespace


def skipped_revenue(candidate: str = "ada"):
    """Every automatic part full marks and every check passed, except the revenue part, which
    was not attempted (its answer missing)."""
    val = validation()
    val = dataclasses.replace(
        val, results=tuple(dataclasses.replace(r, success=True) for r in val.results)
    )
    parts = []
    for p in part_scores(val).parts:
        if p.id == REVENUE.id:
            p = dataclasses.replace(p, points=0.0, status=NOT_ATTEMPTED, feedback="")
        elif p.kind != "manual":
            p = dataclasses.replace(p, points=p.max_points, status="scored")
        parts.append(p)
    return graded(candidate, validation=val, score=Score(tuple(parts)))


def course_with_key_and_notebook(course: Path, candidate: str = "ada") -> None:
    """What release and grading leave for report(): the candidate's answers.json (its suite
    parameters) and the autograded notebook holding their written finding."""
    keys = course / "keys" / candidate / EXERCISE.slug
    keys.mkdir(parents=True)
    (keys / "answers.json").write_text(json.dumps({"suite_parameters": SUITE_PARAMETERS}))
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []},
            {
                "cell_type": "markdown",
                "metadata": {"nbgrader": {"grade_id": FINDING.cell, "grade": True}},
                "source": (INERT_HEADING + FINDING_TEXT).splitlines(keepends=True),
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    folder = course / "autograded" / candidate / EXERCISE.slug
    folder.mkdir(parents=True)
    (folder / EXERCISE.notebook).write_text(json.dumps(notebook))


def page_text(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def label_texts(svg: str) -> list[str]:
    """The bar labels of an SVG chart as a reader sees them: each label's lines joined."""
    root = ElementTree.fromstring(svg)
    return [
        " ".join(span.text or "" for span in text.iter(f"{SVG}tspan"))
        for text in root.iter(f"{SVG}text")
        if text.get("class") == "label"
    ]


# --- the per-anomaly summary agrees with the parts -------------------------------------------


def test_a_part_not_attempted_is_named_and_does_not_make_every_problem_partly_caught(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=skipped_revenue(), kit_anomalies=KIT)
    data = json.loads(paths.candidate_json.read_text())
    by_type = {a["anomaly"]: a for a in data["anomalies"]}
    # The revenue part lists every planted problem; left out, it used to make each one "partly
    # caught" beside parts saying none were missed.
    assert {a["status"] for a in data["anomalies"]} == {"caught"}
    for anomaly in REVENUE.anomalies:
        assert by_type[anomaly]["not_attempted"] == [REVENUE.title]
    page = page_text(paths.candidate_html)
    assert f"not attempted: {REVENUE.title}" in page
    assert "You did not attempt this part" in page
    # The reviewer still sees the left-out part as evidence, marked as not counted.
    reviewer = json.loads(paths.reviewer_json.read_text())
    orphans = next(a for a in reviewer["anomalies"] if a["anomaly"] == "orphans")
    revenue = next(e for e in orphans["evidence"] if e.get("id") == REVENUE.id)
    assert revenue["attempted"] is False
    assert "not attempted (not counted)" in page_text(paths.reviewer_html)


def test_a_real_partial_catch_is_still_partly_caught(tmp_path):
    result = skipped_revenue()
    parts = tuple(
        dataclasses.replace(p, points=p.max_points / 2) if p.id == "duplicate_orders" else p
        for p in result.score.parts
    )
    paths = report(
        course=tmp_path,
        exercise=EXERCISE,
        result=dataclasses.replace(result, score=Score(parts)),
        kit_anomalies=KIT,
    )
    status = {
        a["anomaly"]: a["status"] for a in json.loads(paths.candidate_json.read_text())["anomalies"]
    }
    assert status["exact_duplicates"] == "partly caught"
    assert status["orphans"] == "caught"


# --- titles and labels -------------------------------------------------------------------------


def test_every_anomaly_type_has_a_human_title():
    assert set(REGISTRY) <= set(ANOMALY_TITLES), set(REGISTRY) - set(ANOMALY_TITLES)
    assert anomaly_title("missing_mcar") == "Values missing completely at random"
    assert anomaly_title("not_a_type") == "not a type"


def test_candidates_read_anomaly_titles_not_type_names(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    page = page_text(paths.candidate_html)
    for anomaly in dict.fromkeys(KIT):
        assert ANOMALY_TITLES[anomaly] in page
        assert anomaly not in page
        assert anomaly.replace("_", " ") not in page


def test_plot_labels_are_shown_whole_on_wrapped_lines():
    long = "Each order as it should be: the right rows, the right values, and a very long tail"
    svg = bar_chart([(long, 3.0, 12.0), ("short", 1.0, 1.0)], title="Points per part")
    assert label_texts(str(svg)) == [long, "short"]
    assert "…" not in svg
    root = ElementTree.fromstring(str(svg))
    assert max(len(s.text) for s in root.iter(f"{SVG}tspan")) <= 30


# --- the reviewer view ---------------------------------------------------------------------------


def test_the_reviewer_view_shows_the_finding_check_titles_required_values_and_the_rubric(tmp_path):
    course_with_key_and_notebook(tmp_path)
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    raw = paths.reviewer_html.read_text()
    page = html.unescape(raw)
    # The written finding, escaped (candidate text is data).
    assert FINDING_TEXT in page
    assert SCRIPT not in raw
    assert html.escape(SCRIPT, quote=False) in raw
    assert "## 4. Your finding" in page  # read as written, not as character references
    # Checks cited by title, never by UUID.
    for e in SUITE:
        assert e["id"] not in page, e["id"]
    assert "order_id: values are unique" in page
    assert "table row count equal" in page
    # The value this candidate's data required, not a $PARAMETER placeholder.
    assert "$PARAMETER" not in page
    assert str(SUITE_PARAMETERS["clean_order_rows"]) in page
    assert json.dumps(SUITE_PARAMETERS["customer_ids"]) in page
    data = json.loads(paths.reviewer_json.read_text())
    checks = {c["id"]: c for p in data["parts"] for c in p["checks"]}
    assert checks[SUITE[ROWS]["id"]]["required"] == [
        {"kwarg": "value", "parameter": "clean_order_rows", "value": 1873, "found": True}
    ]
    assert (
        checks[SUITE[CUSTOMERS]["id"]]["required"][0]["value"] == SUITE_PARAMETERS["customer_ids"]
    )
    # ...and they stay out of the candidate's view.
    candidate = page_text(paths.candidate_html) + paths.candidate_json.read_text()
    for secret in ["1873", *SUITE_PARAMETERS["customer_ids"], FINDING_TEXT.splitlines()[0]]:
        assert secret not in candidate
    # The rubric, copied into the course and linked from the reviewer view.
    folder = tmp_path / "reports" / EXERCISE.slug
    rubric = (EXERCISE.solution_folder / "reviewer-notes.md").read_text()
    assert (folder / "reviewer-notes.md").read_text() == rubric
    assert 'href="reviewer-notes.html"' in raw
    rubric_page = (folder / "reviewer-notes.html").read_text()
    assert "<table>" in rubric_page
    assert "<script" not in rubric_page.lower()
    assert "notes for reviewers" in rubric_page
    assert 'href="reviewer-notes.html"' not in paths.candidate_html.read_text()
    # Nothing on either page loads or links anywhere but a sibling report file.
    assert page_problems(folder / "reviewer-notes.html") == []
    assert page_problems(paths.reviewer_html) == []


def test_without_a_key_or_notebook_the_reviewer_view_says_what_is_missing(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    page = page_text(paths.reviewer_html)
    assert "The written finding could not be shown: the graded notebook was not found" in page
    assert "not found (no answers.json for this candidate)" in page


# --- in a browser ----------------------------------------------------------------------------

BROWSER = next(
    (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
    None,
)

MEASURE = """(() => {
  const vw = document.documentElement.clientWidth;  // the page's width, scrollbar excluded
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === "auto" || o === "scroll") && p.getBoundingClientRect().right <= vw + 1) return true;
    }
    return false;
  };
  const tables = [...document.querySelectorAll("table")].map((t) => ({
    fits: t.getBoundingClientRect().right <= vw + 1, scrolls: scrolls(t)}));
  const labels = [...document.querySelectorAll("svg.chart text.label")].map((t) => {
    const box = t.getBBox(), view = t.ownerSVGElement.viewBox.baseVal;
    return {text: [...t.querySelectorAll("tspan")].map((s) => s.textContent).join(" "),
            inside: box.x >= -0.5 && box.x + box.width <= view.width + 0.5};
  });
  return {vw, innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, tables, labels,
          text: document.body.innerText};
})()"""


class DevTools:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self, browser: str, profile: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The child's ends above 4 first, so moving them onto 3 and 4 can never clobber one
        # with the other (and dup2 clears close-on-exec on the copies).
        child_r, child_w = (
            fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w)
        )
        os.close(to_browser_r)
        os.close(from_browser_w)

        def fds():  # the pipe ends where Chromium expects them
            os.dup2(child_r, 3)
            os.dup2(child_w, 4)

        self.process = subprocess.Popen(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--no-first-run",
                "about:blank",
            ],
            preexec_fn=fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(child_r)
        os.close(child_w)
        self._next, self._buffer, self.events = 0, b"", []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events):
                self.events.clear()
                return
            self.events.append(self._read())
        raise TimeoutError(method)

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            if not select.select([self._from_browser], [], [], 60)[0]:
                raise TimeoutError("Chromium did not answer within 60 s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture(scope="module")
def devtools(tmp_path_factory):
    if BROWSER is None:
        pytest.skip("no Chromium here (scripts/system-deps.sh test installs it)")
    tools = DevTools(BROWSER, tmp_path_factory.mktemp("chromium-profile"))
    yield tools
    tools.close()


def look(tools: DevTools, url: str, width: int, shot: Path) -> dict:
    """Open `url` in a fresh tab `width` px wide, save a full-page screenshot, and measure."""
    target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    try:
        tools.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        tools.send("Page.enable", {}, session)
        tools.send("Page.setBypassCSP", {"enabled": True}, session)  # to measure; pages run no JS
        tools.send("Page.navigate", {"url": url}, session)
        tools.wait_for("Page.loadEventFired")
        facts = tools.send(
            "Runtime.evaluate", {"expression": MEASURE, "returnByValue": True}, session
        )["result"]["value"]
        image = tools.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session
        )["data"]
        shot.write_bytes(base64.b64decode(image))
        return facts
    finally:
        tools.send("Target.closeTarget", {"targetId": target})


def test_every_page_fits_1280_and_390_px_with_whole_labels_and_titles(tmp_path, devtools):
    results = [skipped_revenue("ada"), graded("bo"), graded("cy-with-a-rather-long-candidate-id")]
    course_with_key_and_notebook(tmp_path, "ada")
    for r in results:
        paths = report(course=tmp_path, exercise=EXERCISE, result=r, kit_anomalies=KIT)
        if r.candidate == "ada":
            ada = paths
    cohort = cohort_report(course=tmp_path, exercise=EXERCISE, results=results)
    pages = {
        "candidate": ada.candidate_html,
        "reviewer": ada.reviewer_html,
        "cohort": cohort,
        "rubric": cohort.with_name("reviewer-notes.html"),
    }
    titles = [ANOMALY_TITLES[a] for a in dict.fromkeys(KIT)]
    part_titles = [p.title for p in EXERCISE.parts if p.kind != "manual"]
    for width in (1280, 390):
        for name, path in pages.items():
            shot = tmp_path / f"{name}-{width}.png"
            facts = look(devtools, path.as_uri(), width, shot)
            where = f"{name} at {width} px"
            assert facts["innerWidth"] == width, where
            assert shot.stat().st_size > 5_000, where
            assert facts["scrollWidth"] <= facts["vw"], f"{where}: the page scrolls sideways"
            for table in facts["tables"]:
                assert table["fits"] or table["scrolls"], f"{where}: a table runs off the page"
            for label in facts["labels"]:
                assert label["inside"], f"{where}: plot label cut off: {label['text']}"
            labels = [label["text"] for label in facts["labels"]]
            if name in ("candidate", "reviewer"):
                assert labels == part_titles, where  # whole, none shortened
            if name == "cohort":
                assert set(titles) <= set(labels), where
            if name != "rubric":
                text = re.sub(r"\s+", " ", facts["text"])
                for title in titles:
                    assert title in text, f"{where}: {title}"
            if name == "candidate":
                assert f"not attempted: {REVENUE.title}" in re.sub(r"\s+", " ", facts["text"])


# --- through the command line --------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_course_reports_read_right_end_to_end(tmp_path, devtools):
    """`datalit demo` (release, collect, grade; about 15 s): the real reviewer view shows the
    reference's written finding and the values its data required, links the rubric copied into
    the course, and every page fits 390 px."""
    course = tmp_path / "course"
    run = subprocess.run(
        [str(Path(os.sys.executable).parent / "datalit"), "demo", "--course", str(course)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    reports = course / "reports" / EXERCISE.slug
    reviewer = html.unescape((reports / "reference.html").read_text())
    assert "The customers entered twice changed revenue most." in reviewer
    assert "$PARAMETER" not in reviewer
    answers = json.loads((course / "keys/reference" / EXERCISE.slug / "answers.json").read_text())
    rows = answers["suite_parameters"]["clean_order_rows"]
    flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", reviewer))
    assert f"value from this candidate's data (clean_order_rows): {rows}" in flat
    assert 'href="reviewer-notes.html"' in reviewer
    assert (reports / "reviewer-notes.md").read_text() == (
        EXERCISE.solution_folder / "reviewer-notes.md"
    ).read_text()
    feedback = [*course.glob(f"feedback/*/{EXERCISE.slug}/report.html")]
    feedback += [*reports.glob("held/*/report.html")]
    assert len(feedback) == 3
    untouched = next(p for p in feedback if "untouched" in p.parts)
    text = page_text(untouched)
    for anomaly in dict.fromkeys(KIT):
        assert ANOMALY_TITLES[anomaly] in text
        assert anomaly not in text
    assert "· not attempted)" in text  # each part says so, beside its reason
    problems = re.sub(r"\s+", " ", text.split("Problems planted in your data")[1])
    assert f"not attempted: {EXERCISE.parts[0].title}; " in problems  # the parts named
    for path in [*feedback, reports / "reference.html", reports / "cohort.html"]:
        facts = look(devtools, path.as_uri(), 390, tmp_path / f"{path.parent.name}-{path.stem}.png")
        assert facts["scrollWidth"] <= facts["vw"], path
        assert all(t["fits"] or t["scrolls"] for t in facts["tables"]), path
        assert all(label["inside"] for label in facts["labels"]), path
