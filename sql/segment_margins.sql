-- segment_margins: operating margin of every company and segment, per quarter.
--
--   operating_margin     = operating_income / revenue
--   margin_qoq_bps       = (operating_margin - its value in the previous quarter) x 10,000
--   margin_yoy_bps       = (operating_margin - its value four quarters earlier) x 10,000
--   revenue_yoy_growth   = revenue / revenue four quarters earlier - 1
--   ttm_revenue          = revenue summed over this and the three previous quarters,
--                          only when all four quarters exist (else NULL)
--   ttm_operating_margin = TTM operating income / TTM revenue, likewise
--   revenue_run_rate     = revenue x 4
--
-- "Previous quarter" means the calendar quarter before, not the previous row:
-- a gap in a series gives NULL, never a comparison across the gap.
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
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
        max(fiscal_year) AS fiscal_year,
        max(fiscal_quarter) AS fiscal_quarter,
        max(period_end) AS period_end,
        max(unit) FILTER (WHERE metric = 'revenue') AS unit,
        max(value) FILTER (WHERE metric = 'revenue') AS revenue,
        max(value) FILTER (WHERE metric = 'operating_income') AS operating_income
    FROM best
    GROUP BY company, segment, calendar_quarter
),
m AS (
    SELECT
        *,
        operating_income / nullif(revenue, 0) AS operating_margin,
        sum(revenue) OVER w AS ttm_rev,
        count(revenue) OVER w AS ttm_rev_n,
        sum(operating_income) OVER w AS ttm_oi,
        count(operating_income) OVER w AS ttm_oi_n
    FROM q
    WINDOW w AS (PARTITION BY company, segment ORDER BY qi RANGE BETWEEN 3 PRECEDING AND CURRENT ROW)
)
SELECT
    m.company,
    m.segment,
    m.calendar_quarter,
    m.fiscal_year,
    m.fiscal_quarter,
    m.period_end,
    m.unit,
    m.revenue,
    m.operating_income,
    m.operating_margin,
    (m.operating_margin - p1.operating_margin) * 10000 AS margin_qoq_bps,
    (m.operating_margin - p4.operating_margin) * 10000 AS margin_yoy_bps,
    m.revenue / nullif(p4.revenue, 0) - 1 AS revenue_yoy_growth,
    CASE WHEN m.ttm_rev_n = 4 THEN m.ttm_rev END AS ttm_revenue,
    CASE WHEN m.ttm_rev_n = 4 AND m.ttm_oi_n = 4 THEN m.ttm_oi / nullif(m.ttm_rev, 0) END AS ttm_operating_margin,
    m.revenue * 4 AS revenue_run_rate
FROM m
LEFT JOIN m AS p1 ON p1.company = m.company AND p1.segment = m.segment AND p1.qi = m.qi - 1
LEFT JOIN m AS p4 ON p4.company = m.company AND p4.segment = m.segment AND p4.qi = m.qi - 4
ORDER BY m.company, m.segment, m.calendar_quarter
