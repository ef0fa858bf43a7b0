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
        regr_slope(trend_margin, qi) OVER win AS slope
    FROM m
    WINDOW win AS (
        PARTITION BY company, segment ORDER BY qi
        RANGE BETWEEN getvariable('trend_window') - 1 PRECEDING AND CURRENT ROW
    )
),
c AS (
    SELECT
        w.*,
        (w.trend_margin - p1.trend_margin) * 10000 AS margin_qoq_bps,
        (p1.trend_margin - p2.trend_margin) * 10000 AS prev_margin_qoq_bps,
        CASE WHEN w.window_quarters = getvariable('trend_window') THEN w.slope * 10000 END AS slope_bps
    FROM w
    LEFT JOIN m AS p1 ON p1.company = w.company AND p1.segment = w.segment AND p1.qi = w.qi - 1
    LEFT JOIN m AS p2 ON p2.company = w.company AND p2.segment = w.segment AND p2.qi = w.qi - 2
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
    CASE WHEN peer_group IS NOT NULL AND trend_margin IS NOT NULL THEN
        dense_rank() OVER (
            PARTITION BY calendar_quarter, peer_group, trend_margin IS NULL
            ORDER BY trend_margin DESC
        )
    END AS peer_rank,
    CASE WHEN peer_group IS NOT NULL AND trend_margin IS NOT NULL THEN
        count(trend_margin) OVER (PARTITION BY calendar_quarter, peer_group)
    END AS peer_count
FROM c
ORDER BY company, segment, calendar_quarter
