"""The contract suite reads its own copy of the API document; it must be the design's."""

from pathlib import Path

import pytest

from tests.contract.seed import DOCUMENT, canonical_session, example, examples

DESIGN_COPY = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "001_90a26e0af2210dbe.txt"


@pytest.mark.skipif(not DESIGN_COPY.exists(), reason="the design documents are not checked out beside the repository")
def test_copy_is_the_design_document():
    assert DOCUMENT.read_bytes() == DESIGN_COPY.read_bytes()


def test_parser_finds_every_section_and_the_examples():
    found = examples()
    assert {e.section for e in found} == {str(n) for n in range(1, 19)}
    assert len(found) >= 70
    create = example("POST", "sessions")
    assert {v["owner"]["type"] for v in create.variants()} == {"user", "guest"}
    assert {v["options"]["capture_mode"] for v in create.variants()} == {"auto", "manual"}
    assert example("POST", "sessions/{checkoutId}/finalize").response_examples() == [
        {"status": "completed", "order_id": "order_123", "receipt_id": "rcpt_456"}
    ]
    assert canonical_session()["selected_shipping"] == {"id": "ship_1", "label": "Next day", "cost": 399}
