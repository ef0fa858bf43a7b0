-- revenue_per_mw: annualised revenue per megawatt of data-centre capacity, by
-- company and segment (a business line where the capacity is given per line).
--
--   annualised_revenue = revenue x 4
--   revenue_per_mw     = annualised_revenue / capacity_mw   (currency per MW per year)
--
-- capacity_mw is the capacity of the quarter as given (the model's figure for
-- that quarter end), not an average. Rows only where revenue and a positive
-- capacity_mw exist for the company, segment and quarter.
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
-- fiscal_year, fiscal_quarter and period_end are those of the revenue fact.
WITH best AS (
    SELECT *
    FROM facts_preferred
    WHERE metric IN ('revenue', 'capacity_mw')
),
q AS (
    SELECT
        company,
        segment,
        calendar_quarter,
        coalesce(max(fiscal_year) FILTER (WHERE metric = 'revenue'), max(fiscal_year)) AS fiscal_year,
        coalesce(max(fiscal_quarter) FILTER (WHERE metric = 'revenue'), max(fiscal_quarter)) AS fiscal_quarter,
        coalesce(max(period_end) FILTER (WHERE metric = 'revenue'), max(period_end)) AS period_end,
        max(unit) FILTER (WHERE metric = 'revenue') AS unit,
        max(value) FILTER (WHERE metric = 'revenue') AS revenue,
        max(value) FILTER (WHERE metric = 'capacity_mw') AS capacity_mw
    FROM best
    GROUP BY company, segment, calendar_quarter
)
SELECT
    company,
    segment,
    calendar_quarter,
    fiscal_year,
    fiscal_quarter,
    period_end,
    unit,
    revenue,
    revenue * 4 AS annualised_revenue,
    capacity_mw,
    revenue * 4 / capacity_mw AS revenue_per_mw
FROM q
WHERE revenue IS NOT NULL AND capacity_mw > 0
ORDER BY company, segment, calendar_quarter
