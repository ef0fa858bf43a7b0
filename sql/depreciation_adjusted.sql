-- depreciation_adjusted: operating margins restated to a common server life,
-- so that companies depreciating servers over different lives compare.
--
--   adjusted_depreciation     = depreciation_amortization x server_useful_life_years
--                               / common_server_life_years
--   adjusted_operating_income = operating_income + depreciation_amortization
--                               - adjusted_depreciation
--   operating_margin          = operating_income / revenue
--   adjusted_operating_margin = adjusted_operating_income / revenue
--   margin_difference_bps     = (adjusted_operating_margin - operating_margin) x 10,000
--
-- The whole depreciation_amortization figure is scaled, as the design's formula
-- says: a straight-line charge is inversely proportional to the life, so the
-- same assets over the common life cost reported_life / common_life times as
-- much. A life shorter than the common one (AWS: 5 vs 6 years) gives a lower
-- adjusted charge and a higher adjusted margin; equal lives change nothing.
-- Rows only where revenue (not 0), operating income, depreciation and a
-- positive server life all exist for the company, segment and quarter.
-- Parameter: common_server_life_years (default 6).
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
-- fiscal_year, fiscal_quarter and period_end are those of the revenue fact.
WITH best AS (
    SELECT *
    FROM facts_preferred
    WHERE metric IN ('revenue', 'operating_income', 'depreciation_amortization', 'server_useful_life_years')
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
        max(value) FILTER (WHERE metric = 'operating_income') AS operating_income,
        max(value) FILTER (WHERE metric = 'depreciation_amortization') AS depreciation_amortization,
        max(value) FILTER (WHERE metric = 'server_useful_life_years') AS server_useful_life_years
    FROM best
    GROUP BY company, segment, calendar_quarter
),
a AS (
    SELECT
        *,
        CAST(getvariable('common_server_life_years') AS DOUBLE) AS common_server_life_years,
        depreciation_amortization * server_useful_life_years
            / CAST(getvariable('common_server_life_years') AS DOUBLE) AS adjusted_depreciation
    FROM q
    WHERE revenue <> 0 AND operating_income IS NOT NULL
        AND depreciation_amortization IS NOT NULL AND server_useful_life_years > 0
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
    operating_income,
    depreciation_amortization,
    server_useful_life_years,
    common_server_life_years,
    adjusted_depreciation,
    operating_income + depreciation_amortization - adjusted_depreciation AS adjusted_operating_income,
    operating_income / revenue AS operating_margin,
    (operating_income + depreciation_amortization - adjusted_depreciation) / revenue AS adjusted_operating_margin,
    ((operating_income + depreciation_amortization - adjusted_depreciation) / revenue
        - operating_income / revenue) * 10000 AS margin_difference_bps
FROM a
ORDER BY company, segment, calendar_quarter
