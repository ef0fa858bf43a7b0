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
-- The margins, the trailing four quarters, and the calendar quarter before
-- and the one four before where they have a row (a frame of the one
-- quarter: a gap gives NULL; two self-joins did this at twice the cost).
-- One SELECT, so that DuckDB sorts the rows for these windows once: in two,
-- it sorted them twice, a tenth of this analysis's time.
p AS (
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
        count(operating_income) OVER w AS ttm_oi_n,
        -- operating_margin and gross_margin are those of this SELECT
        first_value(operating_margin) OVER q1 AS p1_operating_margin,
        first_value(gross_margin) OVER q1 AS p1_gross_margin,
        first_value(operating_margin) OVER q4 AS p4_operating_margin,
        first_value(revenue) OVER q4 AS p4_revenue
    FROM g
    WINDOW w AS (PARTITION BY company, segment ORDER BY qi RANGE BETWEEN 3 PRECEDING AND CURRENT ROW),
        q1 AS (PARTITION BY company, segment ORDER BY qi RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING),
        q4 AS (PARTITION BY company, segment ORDER BY qi RANGE BETWEEN 4 PRECEDING AND 4 PRECEDING)
)
SELECT
    p.company,
    p.segment,
    p.calendar_quarter,
    p.fiscal_year,
    p.fiscal_quarter,
    p.period_end,
    p.unit,
    p.revenue,
    p.operating_income,
    p.operating_margin,
    (p.operating_margin - p.p1_operating_margin) * 10000 AS margin_qoq_bps,
    (p.operating_margin - p.p4_operating_margin) * 10000 AS margin_yoy_bps,
    p.revenue / nullif(p.p4_revenue, 0) - 1 AS revenue_yoy_growth,
    CASE WHEN p.ttm_rev_n = 4 THEN p.ttm_rev END AS ttm_revenue,
    CASE WHEN p.ttm_rev_n = 4 AND p.ttm_oi_n = 4 AND p.ttm_rev > 0 AND abs(p.ttm_oi / p.ttm_rev) <= 1
        THEN p.ttm_oi / p.ttm_rev END AS ttm_operating_margin,
    p.revenue * 4 AS revenue_run_rate,
    p.gross_profit,
    p.gross_profit_derived,
    p.gross_margin,
    p.rd / nullif(p.revenue, 0) AS rd_ratio,
    p.sm / nullif(p.revenue, 0) AS sm_ratio,
    p.ga / nullif(p.revenue, 0) AS ga_ratio,
    p.opex / nullif(p.revenue, 0) AS opex_ratio,
    (p.gross_margin - p.p1_gross_margin) * 10000 AS gross_margin_qoq_bps,
    p.breakdown,
    p.margin_note
FROM p
ORDER BY p.company, p.segment, p.calendar_quarter
