"""The model's documentation, docs/model.md, and the pointers into it (issue #18).

Checked here:
* no tracked file cites the team's research notes, which are not part of the repository
  (their account of the model is docs/model.md), except the records of past runs that
  kept the old source strings: saved run records (docs/results/**/*.json), the changelog,
  and the one results page a command wrote before the change (``RUN_RECORD_PAGES``);
* docs/model.md keeps the section numbers those pointers use (§1 ... §10, §10b, §11),
  each with its anchor (``<a id="s5-3">`` before "5.3 ...");
* every "model docs §N" pointer -- in the package, its parameter sources as
  ``neuroplast params`` prints them, tests, configs, scripts -- names a section that exists;
* every Markdown link to ``model.md#anchor`` lands on an anchor that exists.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from neuroplast.config.parameters import parameters

ROOT = Path(__file__).resolve().parents[1]
MODEL_DOCS = ROOT / "docs" / "model.md"

#: The research notes' file names (the science notes and the design notes), spelled so
#: that this file does not match itself.
NOTES = re.compile(r"\b" + "SCI" + r"ENCE\b|\b" + "DES" + r"IGN\.md\b")

#: Records of past runs may keep the source strings they were made with.
RUN_RECORDS = ("docs/results/**/*.json", "docs/results/*.json", "CHANGELOG.md")

#: Results pages written by a command before issue #18, not edited by hand: the next run of
#: that command rewrites them (``neuroplast calibrate ... --out docs/results/calibration``).
RUN_RECORD_PAGES: set[str] = set()

#: The sections of docs/model.md, numbered as the research notes were, so that pointers
#: written against the notes stay valid.
SECTIONS = {
    "1", "1.1", "1.2", "1.3",
    "2", "2.1", "2.2", "2.3", "2.4",
    "3", "3.1", "3.2", "3.3",
    "4",
    "5", "5.1", "5.2", "5.3", "5.4", "5.5",
    "6", "7", "8", "9", "10", "10b", "11",
}  # fmt: skip

POINTER = re.compile(r"[Mm]odel\s+docs\s+((?:§\s*\d+[a-z]?(?:\.\d+)?(?:\s*(?:,|and|/|-)\s*)?)+)")
SECTION_NUMBER = re.compile(r"§\s*(\d+[a-z]?(?:\.\d+)?)")
ANCHOR = re.compile(r'^<a id="([^"]+)"></a>\s*$')
HEADING = re.compile(r"^#{2,6} (\d+[a-z]?(?:\.\d+)?)\.? ")


@cache
def tracked_files() -> tuple[str, ...]:
    """Paths of the repository's tracked files (skips the test outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return tuple(p for p in out.decode().split("\0") if p and (ROOT / p).is_file())


def text_of(path: str) -> str:
    data = (ROOT / path).read_bytes()
    return "" if b"\0" in data else data.decode("utf-8", errors="replace")


def is_run_record(path: str) -> bool:
    return path in RUN_RECORD_PAGES or any(fnmatch.fnmatch(path, p) for p in RUN_RECORDS)


@cache
def model_sections() -> dict[str, str]:
    """Section number -> anchor id of docs/model.md; each anchor must precede its heading."""
    lines = MODEL_DOCS.read_text().splitlines()
    sections = {}
    for k, line in enumerate(lines):
        anchor = ANCHOR.match(line)
        if not anchor:
            continue
        heading = next((x for x in lines[k + 1 :] if x.strip()), "")
        number = HEADING.match(heading)
        assert number, f"docs/model.md: anchor {anchor[1]!r} is not followed by a numbered heading"
        expected = "s" + number[1].replace(".", "-")
        assert anchor[1] == expected, f"docs/model.md: {heading!r} has anchor {anchor[1]!r}"
        sections[number[1]] = anchor[1]
    return sections


def pointers(text: str) -> list[tuple[int, str]]:
    """(line number, section number) of each "model docs §N" pointer in ``text``."""
    return [
        (text.count("\n", 0, match.start()) + 1, number)
        for match in POINTER.finditer(text)
        for number in SECTION_NUMBER.findall(match[1])
    ]


def pointed_sections(text: str) -> list[str]:
    """Section numbers named by the "model docs §N" pointers in ``text``."""
    return [number for _, number in pointers(text)]


def test_no_tracked_file_cites_the_research_notes():
    citing = [
        f"{path}:{number}: {line.strip()}"
        for path in tracked_files()
        if not is_run_record(path)
        for number, line in enumerate(text_of(path).splitlines(), 1)
        if NOTES.search(line)
    ]
    assert not citing, "cite docs/model.md ('model docs §N') instead:\n" + "\n".join(citing)


def test_model_docs_keep_the_section_numbers_with_anchors():
    assert set(model_sections()) == SECTIONS


def test_every_model_docs_pointer_names_a_section():
    sections = model_sections()
    found, broken = 0, []
    for path in tracked_files():
        if is_run_record(path):
            continue
        for number, section in pointers(text_of(path)):
            found += 1
            if section not in sections:
                broken.append(f"{path}:{number}: §{section}")
    assert found > 50  # the package cites them throughout
    assert not broken, "no such section in docs/model.md:\n" + "\n".join(broken)


def test_parameter_sources_point_at_sections_that_exist():
    sections = model_sections()
    pointers = [
        (row.path, section)
        for row in parameters()
        for section in pointed_sections(f"{row.description} {row.source}")
    ]
    assert len(pointers) > 20
    assert all(section in sections for _, section in pointers), [
        p for p in pointers if p[1] not in sections
    ]


def test_pointers_split_across_lines_are_found_too():
    assert pointed_sections("see model\n    docs §5.1, §5.2 and §10b.") == ["5.1", "5.2", "10b"]


def test_markdown_links_to_the_model_docs_land_on_anchors():
    anchors = set(model_sections().values())
    broken = []
    for path in tracked_files():
        if not path.endswith(".md") or is_run_record(path):
            continue
        text = text_of(path)
        targets = re.findall(r"model\.md#([\w-]+)", text)
        if path == "docs/model.md":
            targets += re.findall(r"\]\(#([\w-]+)\)", text)
        broken += [f"{path}: #{t}" for t in targets if t not in anchors]
    assert not broken, "no such anchor in docs/model.md:\n" + "\n".join(broken)
