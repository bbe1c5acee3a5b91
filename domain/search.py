"""Custom search attributes the clearance workflow sets (registered by `make run` and the test servers), so
operators can find clearances in the Temporal UI by MRN, status, lane or SOP version.

Search attributes are indexed by the Temporal server in plain text (a payload codec cannot encrypt them), so they
carry only what search needs and nothing personal: the MRN (the clearance's public identifier), its status, lane
and SOP version. The declarant's EORI was one until issue 11; nothing searched by it (the API finds a declarant's
clearances in its read model), so it was dropped rather than replaced by a keyed hash. Everything else about a
clearance (LRN, EORI, agency, body hash) is in the memo, which goes through the codec and is encrypted.
"""

from temporalio.common import SearchAttributeKey

MRN = SearchAttributeKey.for_keyword("Mrn")
STATUS = SearchAttributeKey.for_keyword("ClearanceStatus")
LANE = SearchAttributeKey.for_keyword("ClearanceLane")
SOP_VERSION = SearchAttributeKey.for_keyword("SopVersion")

ALL = (MRN, STATUS, LANE, SOP_VERSION)
