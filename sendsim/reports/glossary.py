"""Plain-English definitions printed at the end of every board paper (Wiltshire's Children's
Select Committee asked for a glossary attached to every report, January 2025)."""

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("20-week timeliness", "The share of new EHC plans issued within 20 weeks of the request for "
     "an assessment, the legal time limit (excluding the exceptions the law allows)."),
    ("90% interval", "The range within which 9 in 10 of the simulated futures fall: the 5th to "
     "the 95th percentile of the replications. It describes how uncertain the future is, not "
     "how precise the simulation is."),
    ("Cumulative balance", "The Dedicated Schools Grant balance carried from year to year. A "
     "negative balance is a deficit."),
    ("DSG", "Dedicated Schools Grant: the government grant for schools' and high needs "
     "education spending, paid in blocks (schools, central services, early years, high needs)."),
    ("DSG management plan", "The DfE's template for a council in deficit to set out High Needs "
     "income, spend by line and the balance year by year; the financial table follows its "
     "layout."),
    ("EHCNA", "Education, Health and Care needs assessment: the statutory assessment that may lead "
     "to an EHC plan. Anyone may request one; the council decides whether to assess."),
    ("EHCP", "Education, Health and Care plan: the legal document that sets out a child's or "
     "young person's (0-25) special educational needs and the provision to meet them."),
    ("EP", "Educational Psychologist. Every EHC needs assessment needs an EP's advice, so the EP "
     "service's capacity limits how fast assessments finish."),
    ("HNB", "High Needs Block: the part of the DSG that pays for special educational provision "
     "(top-up funding, special school places, independent placements, alternative provision)."),
    ("In-year balance", "High Needs income minus High Needs spend in one financial year (April "
     "to March). Negative is an overspend, which adds to the deficit."),
    ("INMSS", "Independent or non-maintained special school: a special school not run by a "
     "council or an academy trust. Places usually cost much more than state special schools."),
    ("Median", "The middle simulated future: half the replications are above it, half below."),
    ("Monte Carlo standard error", "How far a figure would move if the simulation were run again "
     "with other random numbers. It shrinks as the number of replications grows."),
    ("NCY", "National Curriculum Year: the school year group a child is in (Reception is 0, "
     "Year 11 is 11)."),
    ("No to assess", "A decision not to carry out an EHC needs assessment after a request."),
    ("No to issue", "A decision, after an assessment, not to issue an EHC plan."),
    ("Paired difference", "The difference between two scenarios in the same simulated future "
     "(the same random numbers), so chance affects both alike and the difference shows the "
     "effect of the scenario itself."),
    ("RAG", "Red, amber, green: a rating of how likely a condition is to be met. This report "
     "rates the chance across simulated futures; the thresholds are stated with the table."),
    ("RB", "Resource base (resourced provision or SEN unit): specialist places attached to a "
     "mainstream school."),
    ("Replication", "One simulated future of the whole system, child by child. The report's "
     "figures summarise many replications."),
    ("Safety Valve", "The DfE's programme of agreements with councils with the largest DSG "
     "deficits: the DfE pays towards the deficit in instalments while the council meets agreed "
     "conditions, such as reaching an in-year balance by a given year."),
    ("Scenario", "A set of assumptions about the future (demand, decisions, places, money, "
     "interventions) that the simulation runs many times."),
    ("SEN Support", "Help for a pupil with special educational needs given by the school from its "
     "own resources, without an EHC plan."),
    ("Statutory override", "The regulation that keeps DSG deficits off councils' general "
     "accounts, so a deficit does not count against the council's reserves. It has been "
     "extended more than once (in December 2024, to March 2028)."),
)
