"""Write the binary files of the formats corpus (evals/corpora/formats/): a PDF, a Word
document and a PowerPoint deck, beside the hand-written HTML page.

The files are committed; run this only to change them, from the repository's root
(reportlab is a dev dependency; the Word and PowerPoint writers are the tests' own):
    .venv/bin/python -m evals.corpora.make_formats
"""

from pathlib import Path

from harness.documents import write_docx, write_pptx

FOLDER = Path(__file__).resolve().parent / "formats"

TIDE_REPORT = [
    [
        ("title", "Kelmouth tide gauge: annual report 2023"),
        ("p", "The tide gauge on the North Pier has recorded sea level every six minutes "
              "since it was installed in 1987."),
        ("p", "In 2023 the highest tide reached 5.92 metres above chart datum on the 18th of "
              "October, during a storm surge."),
        ("p", "The mean tidal range over the year was 3.8 metres, slightly less than in 2022."),
    ],
    [
        ("heading", "Maintenance"),
        ("p", "The radar sensor was replaced in March after salt corrosion damaged its housing."),
        ("p", "Data gaps totalled 41 hours over the year, most of them during the sensor "
              "replacement."),
        ("p", "Readings are published on the harbour website within ten minutes of being "
              "recorded."),
    ],
]  # fmt: skip

CRANE_MANUAL: list[tuple[str, str | int | list[list[str]]]] = [
    ("Dockside crane DC-7 operating manual", 0),
    ("Before operation", 1),
    ("Operators must complete the DC-7 certification course, which lasts five days.", "p"),
    ("Wind speed is checked before every lift; operations stop when gusts exceed 20 metres "
     "per second.", "p"),
    ("Specifications", 1),
    ("table", [["Property", "Value"], ["Safe working load", "40 tonnes"],
               ["Outreach", "38 metres"], ["Hoisting speed", "60 metres per minute"]]),
    ("Maintenance", 1),
    ("The wire ropes are inspected every 250 operating hours and replaced every three years.",
     "p"),
]  # fmt: skip

SAFETY_BRIEFING = [
    ("Visitor safety briefing", ["All visitors sign in at the gatehouse on Quay Road.",
                                 "High-visibility vests are worn at all times on the quayside."]),
    ("Emergencies", ["The muster point is the car park beside the ferry terminal.",
                     "Dial extension 999 from any quay telephone to reach the harbour control "
                     "room."]),
    ("Restricted areas", ["Entry to the fuel berth requires a hot-work permit.",
                          "Children under 16 are not allowed beyond the visitor gallery."]),
]  # fmt: skip


def write_pdf(path: Path) -> None:
    """Wrapped paragraphs on two pages (reportlab's platypus), byte-for-byte reproducible."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    style = {"title": styles["Title"], "heading": styles["Heading2"], "p": styles["BodyText"]}
    story: list = []
    for number, page in enumerate(TIDE_REPORT):
        if number:
            story.append(PageBreak())
        story += [Paragraph(text, style[kind]) for kind, text in page]
    document = SimpleDocTemplate(str(path), pagesize=A4, invariant=1, title=TIDE_REPORT[0][0][1])
    document.build(story)


if __name__ == "__main__":
    write_pdf(FOLDER / "tide-report-2023.pdf")
    write_docx(FOLDER / "crane-dc7-manual.docx", CRANE_MANUAL)
    write_pptx(FOLDER / "visitor-safety-briefing.pptx", SAFETY_BRIEFING)
