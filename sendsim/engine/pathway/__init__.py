"""The statutory SEND pathway (Children and Families Act 2014), one module per stage.

sen_support   identification and leaving SEN support
requests      requests for an EHC needs assessment (EHCNA), with their demand trend
assessment    decide_to_assess (6 weeks), assess (EP queue), decide_to_issue (20 weeks)
placement     placement at issue under capacity, waiting for a place, moving setting
reviews       annual reviews: maintain, step down, step up, cease
transitions   phase transfers every 1 September
leaving       ceasing at any time, reaching 25, transfers in from other LAs

Each module's `Stage` owns its parameters section, lookup tables, calendar entries and flows
(see `stage`); `STAGES` lists them in the order the model prepares, starts and schedules them.
"""

from sendsim.engine.pathway.assessment import Assessment
from sendsim.engine.pathway.leaving import Leaving
from sendsim.engine.pathway.placement import Placement
from sendsim.engine.pathway.requests import Requests
from sendsim.engine.pathway.reviews import Reviews
from sendsim.engine.pathway.sen_support import SenSupport
from sendsim.engine.pathway.transitions import PhaseTransfers

STAGES = (Requests, Assessment, Placement, Reviews, PhaseTransfers, Leaving, SenSupport)

__all__ = ["STAGES", "Assessment", "Leaving", "PhaseTransfers", "Placement", "Requests", "Reviews", "SenSupport"]
