"""MkDocs hooks for the documentation site (``mkdocs.yml``, ``hooks:``).

A results page that a command wrote into a run directory and that was copied under
docs/results/ may link to files of that run directory that were not copied with it
(``report.md`` links ``summary.csv``, tens of thousands of rows). Such a link is shown
as the file's name, marked as not copied, instead of a broken link; every other link is
checked by ``mkdocs build --strict`` as usual.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Pages written by a command into a run directory and copied here as they were.
COPIED_REPORTS = re.compile(r"^results/.+/report\.md$")

#: A Markdown link (not an image) to a file beside the page.
LOCAL_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([\w.-]+\.\w+)\)")


def on_page_markdown(markdown, page, config, files):
    """Replace links to files not copied beside a copied report with the file's name."""
    path = page.file.src_uri
    if not COPIED_REPORTS.match(path):
        return markdown
    folder = (Path(config["docs_dir"]) / path).parent

    def unlink(match: re.Match) -> str:
        if (folder / match[2]).is_file():
            return match[0]
        return f"`{match[2]}` (in the run directory; not copied here)"

    return LOCAL_LINK.sub(unlink, markdown)
