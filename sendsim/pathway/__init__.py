"""The statutory SEND pathway (Children and Families Act 2014), one module per stage.

sen_support   identification and leaving SEN support
requests      requests for an EHC needs assessment (EHCNA), with their demand trend
assessment    decide_to_assess (6 weeks), assess (EP queue), decide_to_issue (20 weeks)
placement     placement at issue under capacity, waiting for a place, moving setting
reviews       annual reviews: maintain, step down, step up, cease
transitions   phase transfers every 1 September
leaving       ceasing at any time, reaching 25, transfers in from other LAs
"""
