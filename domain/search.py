"""Custom search attributes the clearance workflow sets (registered by `make run` and the test servers),
so operators can find clearances in the Temporal UI by MRN, declarant, status, lane or SOP version."""

from temporalio.common import SearchAttributeKey

MRN = SearchAttributeKey.for_keyword("Mrn")
DECLARANT = SearchAttributeKey.for_keyword("DeclarantEori")
STATUS = SearchAttributeKey.for_keyword("ClearanceStatus")
LANE = SearchAttributeKey.for_keyword("ClearanceLane")
SOP_VERSION = SearchAttributeKey.for_keyword("SopVersion")

ALL = (MRN, DECLARANT, STATUS, LANE, SOP_VERSION)
