-- peer_trends: where each segment's operating margin is heading, and how the
-- cloud segments rank against each other, per quarter.
--
--   operating_margin = operating_income / revenue, NULL where segment_margins has it n/m
--                      (revenue not positive, or |operating_income| > revenue)
--   margin_qoq_bps   = (operating_margin - its value in the previous quarter) x 10,000
--   window_quarters  = quarters with a margin among the trend_window quarters ending here
--   slope_bps        = OLS slope of operating_margin against the quarter index over the
--                      trend_window quarters ending at this one, x 10,000: bp per quarter;
--                      only when all trend_window quarters have a margin (else NULL)
--   trend            = 'rising' when slope_bps > trend_threshold_bps, 'declining' when
--                      slope_bps < -trend_threshold_bps, else 'flat'; NULL without a slope
--   inflection       = true when margin_qoq_bps > 0 and the previous quarter's
--                      margin_qoq_bps <= 0, false otherwise; NULL when either is unknown
--   peer_group       = 'cloud' for the series compared across companies: each company's
--                      cloud segment, i.e. a segment (not a business line "<parent> / <line>")
--                      that has a capacity_mw fact in any quarter; NULL for every other series
--   peer_rank        = dense rank of operating_margin within the peer group in this quarter,
--                      1 = highest; equal margins share a rank (1, 2, 2, 3)
--   peer_count       = series ranked in the peer group in this quarter
--
-- Parameters: trend_window (default 4), trend_threshold_bps (default 25).
-- A margin outside [-1, 1] is not a margin on revenue (Other Bets loses three
-- times its revenue; Alphabet-level activities' "revenue" is hedging gains):
-- it is published as NULL, the trend statistics (margin_qoq_bps, slope_bps,
-- trend, inflection, peer_rank) treat it as missing, and data_quality lists it.
-- "Previous quarter" means the calendar quarter before, not the previous row.
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
-- fiscal_year, fiscal_quarter and period_end are those of the revenue fact.
WITH best AS (
    SELECT *
    FROM facts_preferred
    WHERE metric IN ('revenue', 'operating_income')
),
q AS (
    SELECT
        company,
        segment,
        calendar_quarter,
        CAST(substr(calendar_quarter, 1, 4) AS INTEGER) * 4
            + CAST(substr(calendar_quarter, 6, 1) AS INTEGER) - 1 AS qi,
        coalesce(max(fiscal_year) FILTER (WHERE metric = 'revenue'), max(fiscal_year)) AS fiscal_year,
        coalesce(max(fiscal_quarter) FILTER (WHERE metric = 'revenue'), max(fiscal_quarter)) AS fiscal_quarter,
        coalesce(max(period_end) FILTER (WHERE metric = 'revenue'), max(period_end)) AS period_end,
        max(value) FILTER (WHERE metric = 'revenue') AS revenue,
        max(value) FILTER (WHERE metric = 'operating_income') AS operating_income
    FROM best
    GROUP BY company, segment, calendar_quarter
),
peers AS (
    SELECT DISTINCT company, segment
    FROM facts
    WHERE metric = 'capacity_mw' AND NOT regexp_matches(segment, ' / ')
),
m AS (
    SELECT
        q.*,
        -- n/m as in segment_margins: NULL, and out of every statistic
        CASE WHEN q.revenue > 0 AND abs(q.operating_income / q.revenue) <= 1
            THEN q.operating_income / q.revenue END AS trend_margin,
        CASE WHEN p.company IS NOT NULL THEN 'cloud' END AS peer_group
    FROM q
    LEFT JOIN peers AS p ON p.company = q.company AND p.segment = q.segment
    WHERE q.operating_income / nullif(q.revenue, 0) IS NOT NULL
),
w AS (
    SELECT
        *,
        count(trend_margin) OVER win AS window_quarters,
        regr_slope(trend_margin, qi) OVER win AS slope,
        -- the two quarters before, when they are the calendar quarters
        -- before (the rows before in the same order: one sort for all)
        CASE WHEN lag(qi) OVER series = qi - 1 THEN lag(trend_margin) OVER series END AS prev_margin,
        CASE WHEN lag(qi) OVER series = qi - 1 AND lag(qi, 2) OVER series = qi - 2
            THEN lag(trend_margin, 2) OVER series END AS prev2_margin
    FROM m
    WINDOW series AS (PARTITION BY company, segment ORDER BY qi),
        win AS (
            PARTITION BY company, segment ORDER BY qi
            RANGE BETWEEN getvariable('trend_window') - 1 PRECEDING AND CURRENT ROW
        )
),
c AS (
    SELECT
        w.*,
        (w.trend_margin - w.prev_margin) * 10000 AS margin_qoq_bps,
        (w.prev_margin - w.prev2_margin) * 10000 AS prev_margin_qoq_bps,
        CASE WHEN w.window_quarters = getvariable('trend_window') THEN w.slope * 10000 END AS slope_bps
    FROM w
),
-- Ranks among the peer group's margins of a quarter, over those rows only
-- (ranking every other series too, to throw its ranks away, was a third
-- of the analysis).
ranks AS (
    SELECT
        company,
        segment,
        calendar_quarter,
        dense_rank() OVER (PARTITION BY calendar_quarter, peer_group ORDER BY trend_margin DESC) AS peer_rank,
        count(*) OVER (PARTITION BY calendar_quarter, peer_group) AS peer_count
    FROM m
    WHERE peer_group IS NOT NULL AND trend_margin IS NOT NULL
)
SELECT
    company,
    segment,
    calendar_quarter,
    fiscal_year,
    fiscal_quarter,
    period_end,
    trend_margin AS operating_margin,
    margin_qoq_bps,
    window_quarters,
    slope_bps,
    CASE
        WHEN slope_bps > getvariable('trend_threshold_bps') THEN 'rising'
        WHEN slope_bps < -getvariable('trend_threshold_bps') THEN 'declining'
        WHEN slope_bps IS NOT NULL THEN 'flat'
    END AS trend,
    CASE WHEN margin_qoq_bps IS NOT NULL AND prev_margin_qoq_bps IS NOT NULL
        THEN margin_qoq_bps > 0 AND prev_margin_qoq_bps <= 0
    END AS inflection,
    peer_group,
    peer_rank,
    peer_count
FROM c
LEFT JOIN ranks USING (company, segment, calendar_quarter)
ORDER BY company, segment, calendar_quarter
