-- segment_margins: operating margin of every company and segment, per quarter.
--
--   operating_margin     = operating_income / revenue; NULL ("n/m", as analysts print it)
--                          where revenue is not positive or |operating_income| > revenue,
--                          with the reason in margin_note. revenue and operating_income
--                          keep the raw values; data_quality lists such rows
--                          (margin_out_of_range). Every column derived from the margin
--                          (Q/Q, Y/Y, the peer ranks) is then NULL too.
--   margin_qoq_bps       = (operating_margin - its value in the previous quarter) x 10,000
--   margin_yoy_bps       = (operating_margin - its value four quarters earlier) x 10,000
--   revenue_yoy_growth   = revenue / revenue four quarters earlier - 1
--   ttm_revenue          = revenue summed over this and the three previous quarters,
--                          only when all four quarters exist (else NULL)
--   ttm_operating_margin = TTM operating income / TTM revenue, likewise, and n/m as above
--   revenue_run_rate     = revenue x 4
--   gross_profit         = the gross_profit fact; where there is none,
--                          revenue - |cost_of_revenue|
--   gross_profit_derived = true when gross_profit is revenue - |cost_of_revenue|,
--                          false when it is the fact, NULL when gross_profit is
--   gross_margin         = gross_profit / revenue
--   rd_ratio             = |research_and_development| / revenue
--   sm_ratio             = |sales_and_marketing| / revenue
--   ga_ratio             = |general_and_administrative| / revenue
--   opex_ratio           = |operating_expenses| / revenue, the fact only: never
--                          summed from its parts, which do not always add up
--   gross_margin_qoq_bps = (gross_margin - its value in the previous quarter) x 10,000
--   margin_note          = why operating_margin is NULL although both inputs exist
--                          ("n/m: revenue is not positive", "n/m: operating income
--                          exceeds revenue in size ..."); NULL otherwise
--   breakdown            = the segment's breakdown (facts.breakdown of its revenue, else
--                          of its operating income): total, operating_segment,
--                          product_line, geography, or NULL where the workbook does not
--                          say. Compare or rank segments of one breakdown.
--
-- "Previous quarter" means the calendar quarter before, not the previous row:
-- a gap in a series gives NULL, never a comparison across the gap.
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
-- Rows exist where revenue or operating income does; the other lines of the
-- income statement only fill in columns of those rows. They count only in
-- the unit of the row's revenue: a line in another currency (or in a row
-- without revenue) is taken as absent, never mixed into a ratio. Expense lines
-- count by their size (| |), since workbooks write costs as 40 or as (40).
-- A ratio over a zero or missing revenue is NULL.
WITH best AS (
    SELECT *
    FROM facts_preferred
    WHERE metric IN ('revenue', 'operating_income', 'gross_profit', 'cost_of_revenue',
                     'research_and_development', 'sales_and_marketing',
                     'general_and_administrative', 'operating_expenses')
),
q AS (
    SELECT
        company,
        segment,
        calendar_quarter,
        CAST(substr(calendar_quarter, 1, 4) AS INTEGER) * 4
            + CAST(substr(calendar_quarter, 6, 1) AS INTEGER) - 1 AS qi,
        max(fiscal_year) FILTER (WHERE metric IN ('revenue', 'operating_income')) AS fiscal_year,
        max(fiscal_quarter) FILTER (WHERE metric IN ('revenue', 'operating_income')) AS fiscal_quarter,
        max(period_end) FILTER (WHERE metric IN ('revenue', 'operating_income')) AS period_end,
        max(unit) FILTER (WHERE metric = 'revenue') AS unit,
        coalesce(max(breakdown) FILTER (WHERE metric = 'revenue'),
                 max(breakdown) FILTER (WHERE metric = 'operating_income')) AS breakdown,
        max(value) FILTER (WHERE metric = 'revenue') AS revenue,
        max(value) FILTER (WHERE metric = 'operating_income') AS operating_income,
        -- the other lines of the income statement, each with its unit;
        -- costs by their size
        max(value) FILTER (WHERE metric = 'gross_profit') AS gp_fact,
        max(unit) FILTER (WHERE metric = 'gross_profit') AS gp_unit,
        max(abs(value)) FILTER (WHERE metric = 'cost_of_revenue') AS cor_fact,
        max(unit) FILTER (WHERE metric = 'cost_of_revenue') AS cor_unit,
        max(abs(value)) FILTER (WHERE metric = 'research_and_development') AS rd_fact,
        max(unit) FILTER (WHERE metric = 'research_and_development') AS rd_unit,
        max(abs(value)) FILTER (WHERE metric = 'sales_and_marketing') AS sm_fact,
        max(unit) FILTER (WHERE metric = 'sales_and_marketing') AS sm_unit,
        max(abs(value)) FILTER (WHERE metric = 'general_and_administrative') AS ga_fact,
        max(unit) FILTER (WHERE metric = 'general_and_administrative') AS ga_unit,
        max(abs(value)) FILTER (WHERE metric = 'operating_expenses') AS opex_fact,
        max(unit) FILTER (WHERE metric = 'operating_expenses') AS opex_unit
    FROM best
    GROUP BY company, segment, calendar_quarter
    -- rows where revenue or operating income is, as before the other lines
    HAVING count(*) FILTER (WHERE metric IN ('revenue', 'operating_income')) > 0
),
l AS (
    -- a line counts only in the unit of the row's revenue
    SELECT
        *,
        CASE WHEN gp_unit = unit THEN gp_fact END AS gp,
        CASE WHEN cor_unit = unit THEN cor_fact END AS cor,
        CASE WHEN rd_unit = unit THEN rd_fact END AS rd,
        CASE WHEN sm_unit = unit THEN sm_fact END AS sm,
        CASE WHEN ga_unit = unit THEN ga_fact END AS ga,
        CASE WHEN opex_unit = unit THEN opex_fact END AS opex
    FROM q
),
g AS (
    SELECT
        *,
        coalesce(gp, revenue - cor) AS gross_profit,
        CASE
            WHEN gp IS NOT NULL THEN false
            WHEN revenue - cor IS NOT NULL THEN true
        END AS gross_profit_derived
    FROM l
),
m AS (
    SELECT
        *,
        -- n/m: no margin on a revenue that is not positive, or smaller in
        -- size than the operating income (GOOGL's Alphabet-level
        -- activities: hedging gains of 60m against 12.8bn of costs)
        CASE WHEN revenue > 0 AND abs(operating_income / revenue) <= 1
            THEN operating_income / revenue END AS operating_margin,
        CASE
            WHEN revenue IS NULL OR operating_income IS NULL THEN NULL
            WHEN revenue <= 0 THEN 'n/m: revenue is not positive'
            WHEN abs(operating_income / revenue) > 1 THEN 'n/m: operating income exceeds revenue in size (a margin outside -100%..100%)'
        END AS margin_note,
        gross_profit / nullif(revenue, 0) AS gross_margin,
        sum(revenue) OVER w AS ttm_rev,
        count(revenue) OVER w AS ttm_rev_n,
        sum(operating_income) OVER w AS ttm_oi,
        count(operating_income) OVER w AS ttm_oi_n
    FROM g
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
    CASE WHEN m.ttm_rev_n = 4 AND m.ttm_oi_n = 4 AND m.ttm_rev > 0 AND abs(m.ttm_oi / m.ttm_rev) <= 1
        THEN m.ttm_oi / m.ttm_rev END AS ttm_operating_margin,
    m.revenue * 4 AS revenue_run_rate,
    m.gross_profit,
    m.gross_profit_derived,
    m.gross_margin,
    m.rd / nullif(m.revenue, 0) AS rd_ratio,
    m.sm / nullif(m.revenue, 0) AS sm_ratio,
    m.ga / nullif(m.revenue, 0) AS ga_ratio,
    m.opex / nullif(m.revenue, 0) AS opex_ratio,
    (m.gross_margin - p1.gross_margin) * 10000 AS gross_margin_qoq_bps,
    m.breakdown,
    m.margin_note
FROM m
LEFT JOIN m AS p1 ON p1.company = m.company AND p1.segment = m.segment AND p1.qi = m.qi - 1
LEFT JOIN m AS p4 ON p4.company = m.company AND p4.segment = m.segment AND p4.qi = m.qi - 4
ORDER BY m.company, m.segment, m.calendar_quarter
