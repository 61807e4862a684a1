"""The report stage: what a candidate may see, what a reviewer needs, and the cohort.

Three views, each an HTML page plus a JSON file holding the same facts (the page is rendered from
that very JSON-able dict, so the two cannot drift apart):

- candidate: COURSE/feedback/<candidate>/<exercise>/report.html and report.json. Built from an
  allowlist: totals, per-part points and feedback, the PUBLIC checks (their feedback and whether
  they passed), hidden checks only as a count ("3 hidden checks: 2 passed"), which planted
  anomaly classes were caught, how the notebook ran, the unsafe-sandbox warning. Never a
  check's kwargs (they may name suite parameters), never an observed value or failing-value
  sample (GX's observations can echo a parameter, and samples are better read by a reviewer),
  never `PartScore.details` (precision/recall and the compared true values).
- reviewer: COURSE/reports/<exercise>/<candidate>.html, .json and .csv (the checks with the
  failing values GX found): everything, hidden checks included; checks by title, the values the
  candidate's data required (their suite parameters, from COURSE/keys/<c>/<ex>/answers.json), the
  written finding (from COURSE/autograded/<c>/<ex>/), and a link to the rubric, copied to
  COURSE/reports/<exercise>/reviewer-notes.md and .html.
- cohort: COURSE/reports/<exercise>/cohort.html, .json and .csv: every graded candidate, and
  every released candidate who has not submitted (status "not submitted", counted in no mean,
  median, distribution or catch rate), with when each submission came in and whether it was late.

Everything that came from a candidate is untrusted text: Jinja2 autoescapes every value, text is
cleaned of control and bidi-override characters (which can make a reviewer misread a value),
long values are cut, and every CSV cell that a spreadsheet would run as a formula (starting with
= + - @, tab or carriage return) gets a leading apostrophe. Pages are self-contained (inline
CSS, inline SVG plots, no script, no external reference) and carry a Content-Security-Policy
that forbids scripts and remote loads, so they render offline and nothing in them can run.

Plots are inline SVG drawn by `bar_chart` and `histogram` (plots.py): a few dozen lines, no
dependency, byte-for-byte reproducible output; bar labels wrap, never cut. Anomaly types are
shown by their human titles (`ANOMALY_TITLES`). An anomaly's status reads the parts the candidate
attempted and names the ones they did not (a part left out is not evidence of a miss).

Every file is bounded (`bounded.Bounds`): the strings of a view share `report_text_bytes`
(`cohort_text_bytes`), each measured as its page shows it, by water-filling (a value over its
share is cut and says so; small values are never cut for a huge neighbour), and each rendered
file must fit `report_bytes` (`cohort_bytes`); a view over it is written as a short view of the
same shape that says it was cut (totals and the cohort summary kept), so every file stays valid
JSON, HTML or CSV. Nothing in a page is a link or an image made from candidate text: values are
escaped text, and the only links are the pages' own (the CSV next to a page, a candidate's page
in the cohort table, by a file name that cannot hold a `/`).

Files are written atomically and only when their content changed (the pages hold no
timestamps, so re-reporting an unchanged result rewrites nothing).

The package, one module per seam (this face re-exports what the rest of datalit uses):

- submission.py: `report`, the candidate and reviewer views of one submission, and `Reports`.
- facts.py: `_Facts`, one result read once, and its views (candidate, reviewer, cohort row).
- details.py: the reviewer's details of `_Facts` (checks by title, required values, the finding).
- cohort.py: `cohort_report`, not-submitted rows, `submission_timing`, `reviewer_record`.
- refresh.py: `refresh_views`, `sum_up` and the cohort row with its manual grades.
- rubric.py: `write_rubric`, the rubric copied next to the reviewer views.
- suite.py: the suite's anomaly tags and check titles, the anomaly types planted.
- anomalies.py: `ANOMALY_TITLES`, `anomaly_title` and the catch status.
- plots.py: `bar_chart`, `histogram` and their SVG helpers.
- text.py: `_text`, `_plain`, `csv_cell`, `_csv`, `_bounded_csv` and the other value helpers.
- write.py: the Jinja environment, `_render`, `_write_view`, `_cut_view`, `_write`.
"""

from __future__ import annotations

# Names the rest of datalit imports from the report stage (`x as x`: re-exported).
from datalit.grading.report.anomalies import ANOMALY_TITLES as ANOMALY_TITLES
from datalit.grading.report.anomalies import CAUGHT as CAUGHT
from datalit.grading.report.anomalies import MISSED as MISSED
from datalit.grading.report.anomalies import NOT_CHECKED as NOT_CHECKED
from datalit.grading.report.anomalies import PARTLY as PARTLY
from datalit.grading.report.anomalies import anomaly_title as anomaly_title
from datalit.grading.report.cohort import (
    NOT_SUBMITTED,
    cohort_report,
    reviewer_record,
    submission_timing,
)
from datalit.grading.report.details import MAX_FINDING as MAX_FINDING
from datalit.grading.report.facts import MAX_STREAM as MAX_STREAM
from datalit.grading.report.facts import REPORT_FORMAT as REPORT_FORMAT
from datalit.grading.report.plots import bar_chart, histogram
from datalit.grading.report.refresh import _with_manual as _with_manual
from datalit.grading.report.refresh import refresh_views as refresh_views
from datalit.grading.report.refresh import sum_up as sum_up
from datalit.grading.report.rubric import RUBRIC_HTML as RUBRIC_HTML
from datalit.grading.report.rubric import RUBRIC_MD as RUBRIC_MD
from datalit.grading.report.rubric import write_rubric as write_rubric
from datalit.grading.report.submission import Reports, report
from datalit.grading.report.text import FORMULA_START as FORMULA_START
from datalit.grading.report.text import MAX_DEPTH as MAX_DEPTH
from datalit.grading.report.text import MAX_ITEMS as MAX_ITEMS
from datalit.grading.report.text import MAX_TEXT as MAX_TEXT
from datalit.grading.report.text import _csv as _csv
from datalit.grading.report.text import csv_cell
from datalit.grading.report.write import STATUS_WORDS as STATUS_WORDS
from datalit.grading.report.write import TEMPLATES as TEMPLATES
from datalit.grading.report.write import held_feedback_dir as held_feedback_dir

__all__ = [
    "NOT_SUBMITTED",
    "Reports",
    "bar_chart",
    "cohort_report",
    "csv_cell",
    "histogram",
    "report",
    "reviewer_record",
    "submission_timing",
]
