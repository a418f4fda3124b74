import pytest

from members.models import MemberStatus
from tests.factories import MemberFactory, PersonFactory


@pytest.fixture
def introducers(tree):  # type: ignore[no-untyped-def]
    """Two official members of branch A (admitted long ago)."""
    return [
        MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Lê Văn Giới", "Phạm Thị Thiệu")
    ]
