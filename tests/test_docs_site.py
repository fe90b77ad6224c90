"""The documentation site (mkdocs.yml, docs/) and the commands its pages give.

Checked here, in seconds and without simulating:

* ``mkdocs build --strict`` succeeds: mkdocs.yml makes every broken link, missing anchor
  and page left out of the nav a warning, and ``--strict`` fails on a warning;
* the strict build does fail on a broken link (the check above is not vacuous);
* every shell command of the tutorials is a ``neuroplast`` command that parses, and its
  config validates as ``neuroplast validate`` checks it (``run``, ``calibrate``), lists
  parameters (``params``), validates (``validate``) or resolves its points (``sweep
  --dry-run``); ``plot`` reads a directory that an earlier command on the page wrote;
  the Python blocks of the tutorials compile;
* the ``neuroplast`` commands of docs/getting_started.md pass the same checks;
* a tutorial's ``console`` blocks print what they show (``$ neuroplast ...`` lines are
  run, the lines after them are their output);
* the TOML pieces of the config tutorial are, together, the config it ships.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from neuroplast.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
#: Pages whose ``neuroplast`` commands are checked too (other lines there, such as the
#: set-up commands with pip, are not).
COMMAND_PAGES = [DOCS / "getting_started.md"]

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason="mkdocs is not installed (it is in the dev extra: pip install -e '.[dev]')",
)


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    # not --quiet: it hides the warnings from --strict, which then passes
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"]
        + ["--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        cwd=config.parent,
        timeout=120,
    )


@needs_mkdocs
def test_the_site_builds_without_warnings(tmp_path):
    result = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "tutorials" / "run_and_read" / "index.html").is_file()


@needs_mkdocs
def test_a_broken_link_fails_the_strict_build(tmp_path):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    shutil.copy(ROOT / "mkdocs_hooks.py", tmp_path)
    shutil.copytree(DOCS, tmp_path / "docs")
    page = tmp_path / "docs" / "getting_started.md"
    page.write_text(page.read_text() + "\n[gone](no_such_page.md)\n")
    result = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "no_such_page.md" in result.stdout + result.stderr


# --- the commands on the pages ------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text()) if lang == language]


def shell_commands(path: Path) -> list[list[str]]:
    """The commands of the page's bash blocks, split as the shell splits them."""
    commands = []
    for body in blocks(path, "bash"):
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def set_args(overrides: list[str]) -> list[str]:
    return [arg for override in overrides for arg in ("--set", override)]


def check_command(words: list[str], written: set[Path], capsys) -> None:
    """Check one ``neuroplast`` command without simulating; record the directory it writes."""
    try:
        args = build_parser().parse_args(words[1:])
    except SystemExit as exc:
        pytest.fail(f"{shlex.join(words)}: does not parse (exit {exc.code})")
    if args.command in ("run", "calibrate"):
        sets = set_args(args.overrides)
        if getattr(args, "seed", None) is not None:
            sets += ["--set", f"seed={args.seed}"]
        argv = ["validate", *([args.config] if args.config else []), *sets]
    elif args.command == "sweep":
        argv = [*words[1:], "--dry-run"]
    elif args.command in ("validate", "params"):
        argv = words[1:]
    else:  # plot: reads what an earlier command on the page wrote
        assert args.command == "plot", shlex.join(words)
        assert args.run_dir in written, f"{shlex.join(words)}: no command above writes it"
        return
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, f"{shlex.join(words)}: neuroplast {shlex.join(argv)} -> {status}\n{err}"
    if args.command in ("run", "sweep") and args.out is not None:
        written.add(args.out)


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.name)
def test_every_tutorial_command_parses_and_its_config_validates(page, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    commands = shell_commands(page)
    assert commands, f"{page.name} has no shell commands"
    written: set[Path] = set()
    for words in commands:
        assert words[0] == "neuroplast", (
            f"{page.name}: {shlex.join(words)}: the tutorials' shell commands are neuroplast "
            "commands, which this test checks; check any other command here"
        )
        check_command(words, written, capsys)


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_python_blocks_compile(page):
    for k, body in enumerate(blocks(page, "python")):
        compile(body, f"{page.name}, python block {k + 1}", "exec")


@pytest.mark.parametrize("page", COMMAND_PAGES, ids=lambda p: p.name)
def test_neuroplast_commands_of_the_pages_parse_and_validate(page, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    commands = [words for words in shell_commands(page) if words[0] == "neuroplast"]
    assert commands
    written: set[Path] = set()
    for words in commands:
        check_command(words, written, capsys)


def console_sessions(path: Path) -> list[tuple[list[str], list[str]]]:
    """``(command words, expected output lines)`` of the page's console blocks."""
    sessions: list[tuple[list[str], list[str]]] = []
    for body in blocks(path, "console"):
        for line in body.splitlines():
            if line.startswith("$ "):
                sessions.append((shlex.split(line[2:]), []))
            elif sessions:
                sessions[-1][1].append(line)
    return sessions


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_console_blocks_print_what_they_show(page, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    for words, expected in console_sessions(page):
        assert words[0] == "neuroplast", shlex.join(words)
        main(words[1:])
        out, err = capsys.readouterr()
        assert (out + err).strip().splitlines() == expected, shlex.join(words)


def test_the_config_tutorial_pieces_are_the_config_it_ships():
    page = DOCS / "tutorials" / "config_from_scratch.md"
    pieces = tomllib.loads("\n".join(blocks(page, "toml")))
    assert pieces == tomllib.loads((ROOT / "configs" / "first_experiment.toml").read_text())
    assert console_sessions(page), "the page shows no console session"


def test_the_tutorials_are_in_the_site_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in TUTORIALS:
        assert f"tutorials/{page.name}" in nav, page.name


def test_the_readme_links_to_files_that_exist():
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"
