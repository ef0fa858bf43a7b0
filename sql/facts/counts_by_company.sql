-- How many facts each company has, this run's and the previous vintages
-- together, in name order: load/facts.go cuts the build into steps of at
-- most ChunkRows facts by these counts.
SELECT company, sum(n) AS n FROM (
    SELECT company, count(*) AS n FROM shared.facts_new WHERE company IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT company, count(*) AS n FROM _prev_vintages GROUP BY ALL
) GROUP BY ALL
ORDER BY company
