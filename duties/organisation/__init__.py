"""The regulation and the organisation it charges: articles, units, duty clauses, party
branches, villages, cadres, village assignments (包村干部) and the rule parameters (art. 44)."""
