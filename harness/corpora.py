"""Two small document sets for the collection and source filter tests.

``hr/`` is an HR handbook whose policies and guides both talk about working from
home, with different facts, so a source filter changes what is cited; ``eng/``
is an engineering handbook that shares no topic with it.
"""

import contextlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rag.catalog import Collections
from rag.chain import Chain
from rag.settings import Settings

HR = {
    "hr/leave.md": "# Paid leave\n\nEvery employee receives thirty days of paid leave per "
    "calendar year. Unused leave days expire at the end of March of the following year.\n",
    "hr/policies/remote-work.md": "# Remote work policy\n\nStaff may work from home on two "
    "days a week. Remote days are agreed with the team lead one week ahead.\n",
    "hr/policies/equipment.md": "# Equipment\n\nThe company lends every remote worker a "
    "laptop and a monitor. Equipment for working from home is returned when the contract "
    "ends.\n",
    "hr/policies/expenses.md": "# Expenses\n\nInternet costs of working from home are "
    "refunded up to thirty euros a month. Claims are filed in the expense tool.\n",
    "hr/guides/first-week.md": "# Your first week\n\nIn their first week new starters work "
    "from home on no day at all. They meet the team in the office every day.\n",
    "hr/guides/remote-setup.md": "# Remote setup\n\nA good place to work from home has a "
    "desk, a chair and daylight. Working from home works best with a fixed daily routine.\n",
    "hr/guides/meetings.md": "# Meetings\n\nRemote meetings start five minutes past the "
    "hour. Cameras stay on in meetings when staff work from home.\n",
}
ENGINEERING = {
    "eng/deploy.md": "# Deployments\n\nProduction deployments happen every Tuesday and "
    "Thursday at ten o'clock after the release review. A deployment is rolled back when "
    "the error rate doubles within fifteen minutes.\n",
    "eng/on-call.md": "# On call\n\nThe on-call engineer answers a page within five minutes. "
    "Each on-call shift lasts one week and hands over on Monday mornings.\n",
}
HR_QUESTION = "How many days of paid leave does an employee receive per year?"
ENGINEERING_QUESTION = "When do production deployments happen?"
REMOTE_QUESTION = "How many days a week may staff work from home?"


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative path: text) under ``folder``."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@dataclass
class Deployment:
    """A data folder holding the collections ``hr`` (the default) and ``engineering``."""

    root: Path
    chain: Chain

    @property
    def settings(self) -> Settings:
        """The deployment's settings (default collection ``hr``)."""
        return self.chain.settings

    @cached_property
    def catalog(self) -> Collections:
        """The chains over its collections, as a server holds them."""
        return Collections(self.chain)


def build_deployment(root: Path, chroma_url: str | None = None) -> Deployment:
    """Write both handbooks under ``root`` and ingest each into its own collection
    (in ``root/data``, or on the Chroma server at ``chroma_url``).

    Sources are named relative to ``root`` (``hr/policies/remote-work.md``).
    """
    from ingest.pipeline import ingest
    from rag.models.embeddings import load_embeddings
    from rag.retrieve.index import open_index

    write_files(root, {**HR, **ENGINEERING})
    settings = Settings(data_dir=root / "data", collection="hr", chroma_url=chroma_url)
    with contextlib.chdir(root):
        for folder, name in (("hr", "hr"), ("eng", "engineering")):
            named = settings.model_copy(update={"collection": name})
            index = open_index(named, create=True)  # only ingest creates a collection
            report = ingest([root / folder], named, index, load_embeddings(settings))
            assert report.added > 0 and not report.skipped, report
    return Deployment(root=root, chain=Chain(settings))
