-- roic: return on invested capital, per company, segment and quarter.
--
--   nopat            = operating_income x (1 - tax_rate)        (the quarter's)
--   annualised_nopat = nopat x 4
--   roic             = annualised_nopat / invested_capital
--
-- NOPAT is annualised so that the ratio reads like the annual ROIC analysts
-- quote (a quarter's NOPAT over the capital employed all year would be a
-- quarter of it). invested_capital is taken as given for the quarter (the
-- model's figure; no averaging of opening and closing balances).
-- Rows only where operating income, a tax rate and a positive invested
-- capital all exist for the company, segment and quarter.
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
-- fiscal_year, fiscal_quarter and period_end are those of the operating_income fact.
WITH best AS (
    SELECT *
    FROM facts_preferred
    WHERE metric IN ('operating_income', 'tax_rate', 'invested_capital')
),
q AS (
    SELECT
        company,
        segment,
        calendar_quarter,
        coalesce(max(fiscal_year) FILTER (WHERE metric = 'operating_income'), max(fiscal_year)) AS fiscal_year,
        coalesce(max(fiscal_quarter) FILTER (WHERE metric = 'operating_income'), max(fiscal_quarter)) AS fiscal_quarter,
        coalesce(max(period_end) FILTER (WHERE metric = 'operating_income'), max(period_end)) AS period_end,
        max(unit) FILTER (WHERE metric = 'operating_income') AS unit,
        max(value) FILTER (WHERE metric = 'operating_income') AS operating_income,
        max(value) FILTER (WHERE metric = 'tax_rate') AS tax_rate,
        max(value) FILTER (WHERE metric = 'invested_capital') AS invested_capital
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
    operating_income,
    tax_rate,
    operating_income * (1 - tax_rate) AS nopat,
    operating_income * (1 - tax_rate) * 4 AS annualised_nopat,
    invested_capital,
    operating_income * (1 - tax_rate) * 4 / invested_capital AS roic
FROM q
WHERE operating_income IS NOT NULL AND tax_rate IS NOT NULL AND invested_capital > 0
ORDER BY company, segment, calendar_quarter
