"""Every relative link and anchor in the documentation resolves.

For README.md, BENCHMARKS.md and every page under docs/: each relative markdown link,
`[text](path)`, `[text](path#anchor)`, `[text](#anchor)` (and images and reference-style
definitions), must name a file or folder that exists, and each `#anchor` must match a heading
of the target file as GitHub renders it: lowercase, spaces to '-', every other punctuation
dropped except '-' and '_', a repeated heading getting -1, -2, ... Links to http(s) and
mailto are not followed, and nothing inside a fenced code block or an inline code span counts
as a link.

Run from the repository root: ``python -m pytest tests/docs`` (needs only pytest).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def documentation_files(root: Path = ROOT) -> list[Path]:
    """The pages whose links are checked."""
    files = [root / "README.md", root / "BENCHMARKS.md"]
    files += sorted((root / "docs").rglob("*.md"))
    return [f for f in files if f.is_file()]


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
HTML_ANCHOR = re.compile(r"""<a\s+(?:[^>]*?\s)?(?:name|id)\s*=\s*["']([^"']+)["']""", re.I)
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) or ![alt](target); the text may hold one level of brackets, the target may be
# <wrapped> and may carry a "title".
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)


def lines_outside_fences(text: str) -> list[tuple[int, str]]:
    """(line number, line) for every line not inside a fenced code block, fences included."""
    kept = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = FENCE.match(line)
        if fence is None:
            if opening:
                fence = opening.group(1)
                continue
            kept.append((number, line))
        elif opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
            if not line.strip()[len(opening.group(1)):].strip():
                fence = None
    return kept


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text (before duplicates are numbered)."""
    shown = []
    for number, part in enumerate(CODE_SPAN.split(heading)):
        if number % 3 == 2:
            shown.append(part)  # a code span shows its text as it is
        elif number % 3 == 0:
            part = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", part)  # a link shows its text
            shown.append(re.sub(r"<[^>]+>", "", part))  # inline HTML shows none of its tags
    text = "".join(shown).strip().lower()
    kept = []
    for char in text:
        if char in "-_ " or unicodedata.category(char)[0] in "LNM":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a markdown file offers: its headings' slugs, numbered as GitHub numbers
    repeats, and explicit `<a name>` / `id` anchors."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in lines_outside_fences(path.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        found.update(HTML_ANCHOR.findall(line))
    return found


@dataclass(frozen=True)
class BrokenLink:
    file: Path
    line: int
    link: str
    reason: str

    def __str__(self) -> str:
        try:
            shown = self.file.relative_to(ROOT)
        except ValueError:
            shown = self.file
        return f"{shown}:{self.line}: ({self.link}): {self.reason}"


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every link in a markdown file, outside code."""
    found = []
    for number, line in lines_outside_fences(path.read_text(encoding="utf-8")):
        prose = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        targets = [m.group(1) for m in INLINE_LINK.finditer(prose)]
        definition = REFERENCE_DEFINITION.match(prose)
        if definition:
            targets.append(definition.group(1))
        found += [(number, t[1:-1] if t.startswith("<") else t) for t in targets]
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[BrokenLink]:
    """Every link of `path` that does not resolve, with the reason."""
    broken = []
    cache: dict[Path, set[str]] = {}
    for number, target in links(path):
        if EXTERNAL.match(target):
            continue  # http(s), mailto and other schemes are not followed
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path.resolve()
        if file_part and not resolved.exists():
            broken.append(BrokenLink(path, number, target, f"no such file: {file_part}"))
            continue
        if file_part and root.resolve() not in [resolved, *resolved.parents]:
            broken.append(BrokenLink(path, number, target, "points outside the repository"))
            continue
        if not anchor:
            continue
        if resolved.suffix.lower() != ".md" or not resolved.is_file():
            if not re.fullmatch(r"L\d+(?:-L\d+)?", anchor):
                broken.append(BrokenLink(path, number, target, "an anchor on a file that is not markdown"))
            continue
        if resolved not in cache:
            cache[resolved] = anchors(resolved)
        if anchor not in cache[resolved]:
            shown = file_part or path.name
            broken.append(BrokenLink(path, number, target, f"no heading with anchor #{anchor} in {shown}"))
    return broken


# --- the documentation --------------------------------------------------------------------


def test_the_documentation_pages_exist():
    names = {f.relative_to(ROOT).as_posix() for f in documentation_files()}
    assert {"README.md", "BENCHMARKS.md"} <= names
    assert any(n.startswith("docs/") for n in names), "no page under docs/"


@pytest.mark.parametrize(
    "page", documentation_files(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_every_link_and_anchor_resolves(page: Path):
    broken = broken_links(page)
    assert not broken, "broken links:\n" + "\n".join(str(b) for b in broken)


# --- the checker itself -------------------------------------------------------------------


def test_slugs_follow_githubs_rules():
    assert slug("Reliability: what was tried, and what holds") == (
        "reliability-what-was-tried-and-what-holds"
    )
    assert slug("Refusing a signed-out user's old tokens") == "refusing-a-signed-out-users-old-tokens"
    assert slug("The authorizer: `revocation-authorizer`") == "the-authorizer-revocation-authorizer"
    assert slug("Small batches and floods (issue 9)") == "small-batches-and-floods-issue-9"
    assert slug("`DLQ_URL_<CLASS>` and [links](x.md)") == "dlq_url_class-and-links"


def test_a_broken_file_an_unknown_anchor_and_a_repeated_heading_are_told_apart(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Title\n\n## Notes\n\n## Notes\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text(
        "# Top\n"
        "[ok](docs/other.md#notes-1) [ok](#top) [ok](https://example.com/x#y) [ok](mailto:a@b.c)\n"
        "[missing file](docs/nope.md)\n"
        "[missing anchor](docs/other.md#notes-2)\n"
        "```\n[inside a fence](nowhere.md)\n```\n"
        "`[inside a code span](nowhere.md)`\n"
        "[same-file anchor](#bottom)\n",
        encoding="utf-8",
    )
    found = [(b.line, b.link) for b in broken_links(page, root=tmp_path)]
    assert found == [(3, "docs/nope.md"), (4, "docs/other.md#notes-2"), (9, "#bottom")]
    message = str(broken_links(page, root=tmp_path)[0])
    assert "README.md:3: (docs/nope.md): no such file" in message


# A docs page named in the code: `docs/<page>.md` or `docs/<page>.md#anchor`, in a Rust
# comment (or any text) of src/, crates/, tests/, benches/, scripts/ and the templates.
CODE_REFERENCE = re.compile(r"docs/([A-Za-z0-9_-]+\.md)(?:#([A-Za-z0-9_-]+))?")


def code_files(root: Path = ROOT) -> list[Path]:
    """The sources whose references to docs pages are checked."""
    files: list[Path] = []
    for folder in ["src", "crates", "tests", "benches", "scripts"]:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in {".rs", ".py", ".sh"} or (folder == "scripts" and path.is_file() and not path.suffix):
                if "target" not in path.parts and path.is_file():
                    files.append(path)
    files += [root / "template.yaml", root / "member-role.yaml"]
    return [f for f in files if f.is_file()]


def code_references(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, page, anchor) for every docs page `path` names."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in CODE_REFERENCE.finditer(line):
            found.append((number, match.group(1), match.group(2)))
    return found


def test_the_code_names_docs_pages_that_exist_and_anchors_they_have():
    problems = []
    this_file = Path(__file__).resolve()
    for path in code_files():
        if path.resolve() == this_file:
            continue
        for number, page, anchor in code_references(path):
            target = ROOT / "docs" / page
            where = f"{path.relative_to(ROOT)}:{number}"
            if not target.is_file():
                problems.append(f"{where}: docs/{page} does not exist")
            elif anchor and anchor not in anchors(target):
                problems.append(f"{where}: docs/{page} has no heading #{anchor}")
    assert not problems, "\n".join(problems)


def test_the_code_names_docs_pages_at_all():
    # The check above cannot pass by finding nothing.
    assert sum(len(code_references(p)) for p in code_files()) >= 30


def test_no_file_cites_a_contract_the_repository_does_not_hold():
    problems = []
    for path in code_files() + documentation_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "CONTRACT.md" in line or re.search(r"[Cc]ontract sections? \d", line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not problems, "\n".join(problems)
