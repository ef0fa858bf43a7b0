-- peer_trends run company range by company range (load.Analysis.Across):
-- each range ranked only its own companies' peer rows. These are the ranks
-- of peer_trends.sql over every company, from the gathered rows: the peer
-- group's rows with a margin (operating_margin is the margin ranked there),
-- per quarter.
UPDATE peer_trends AS t
SET peer_rank = r.peer_rank, peer_count = r.peer_count
FROM (
    SELECT
        company,
        segment,
        calendar_quarter,
        dense_rank() OVER (PARTITION BY calendar_quarter, peer_group ORDER BY operating_margin DESC) AS peer_rank,
        count(*) OVER (PARTITION BY calendar_quarter, peer_group) AS peer_count
    FROM peer_trends
    WHERE peer_group IS NOT NULL AND operating_margin IS NOT NULL
) AS r
WHERE t.company = r.company AND t.segment = r.segment AND t.calendar_quarter = r.calendar_quarter
