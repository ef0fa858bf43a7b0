-- ai_mix: how AI revenue splits between token-as-a-service (TaaS, e.g.
-- Bedrock) and infrastructure-as-a-service (IaaS, GPU rental), per quarter.
--
--   ai_revenue        = the ai_revenue fact; where it is absent, taas + iaas
--   taas_share        = taas / ai_revenue
--   taas_share_qoq_pp = (taas_share - its value in the previous quarter) x 100,
--                       in percentage points
--   taas_share_yoy_pp = the same against four quarters earlier
--   taas_run_rate     = taas x 4
--
-- Where a value is both reported and estimated, the reported one is used (facts_preferred).
WITH best AS (
    SELECT *
    FROM facts_preferred
    WHERE metric IN ('ai_revenue', 'ai_revenue_taas', 'ai_revenue_iaas')
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
        max(unit) AS unit,
        max(value) FILTER (WHERE metric = 'ai_revenue') AS ai_reported,
        max(value) FILTER (WHERE metric = 'ai_revenue_taas') AS taas,
        max(value) FILTER (WHERE metric = 'ai_revenue_iaas') AS iaas
    FROM best
    GROUP BY company, segment, calendar_quarter
),
m AS (
    SELECT
        *,
        coalesce(ai_reported, taas + iaas) AS ai_revenue,
        taas / nullif(coalesce(ai_reported, taas + iaas), 0) AS taas_share
    FROM q
),
-- The calendar quarter before and the one four before, where they have a
-- row (a frame of the one quarter: a gap gives NULL), not self-joins.
p AS (
    SELECT
        *,
        first_value(taas_share) OVER q1 AS p1_taas_share,
        first_value(taas_share) OVER q4 AS p4_taas_share
    FROM m
    WINDOW q1 AS (PARTITION BY company, segment ORDER BY qi RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING),
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
    p.ai_revenue,
    p.taas,
    p.iaas,
    p.taas_share,
    (p.taas_share - p.p1_taas_share) * 100 AS taas_share_qoq_pp,
    (p.taas_share - p.p4_taas_share) * 100 AS taas_share_yoy_pp,
    p.taas * 4 AS taas_run_rate
FROM p
ORDER BY p.company, p.segment, p.calendar_quarter
