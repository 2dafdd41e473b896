"""The decisions the code cites are written down: every decisions-document anchor in the
package, the tests and the docs names a section that exists."""
import re

from tests.conftest import REPO

DECISIONS = REPO / "docs" / "decisions.md"


def _anchors() -> set[str]:
    heads = re.findall(r"^#{2,3} (.+)$", DECISIONS.read_text(), flags=re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_every_cited_decision_exists():
    anchors = _anchors()
    cited = []
    for path in [*REPO.glob("dephn/**/*.py"), *REPO.glob("tests/**/*.py"), *REPO.glob("docs/*.md")]:
        for m in re.finditer(r"decisions\.md#([a-z0-9-]+)", path.read_text()):
            cited.append((path.relative_to(REPO), m.group(1)))
    assert cited, "the code cites its decisions"
    missing = [f"{p}: #{a}" for p, a in cited if a not in anchors]
    assert not missing, missing


def test_no_citation_of_a_document_outside_the_repository():
    stale = [str(p.relative_to(REPO)) for p in REPO.glob("dephn/**/*.py") if re.search(r"SPEC\s*(§|eq)", p.read_text())]
    assert not stale, stale
