-- How many facts each segment of one company has, for a company too large
-- for one step: it is split by segment (the key holds both, so a step still
-- sees every vintage of its facts).
SELECT segment, sum(n) AS n FROM (
    SELECT segment, count(*) AS n FROM shared.facts_new WHERE company = $company GROUP BY ALL
    UNION ALL
    SELECT segment, count(*) AS n FROM _prev_vintages WHERE company = $company GROUP BY ALL
) GROUP BY ALL
ORDER BY segment
