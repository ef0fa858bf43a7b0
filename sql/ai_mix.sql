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
)
SELECT
    m.company,
    m.segment,
    m.calendar_quarter,
    m.fiscal_year,
    m.fiscal_quarter,
    m.period_end,
    m.unit,
    m.ai_revenue,
    m.taas,
    m.iaas,
    m.taas_share,
    (m.taas_share - p1.taas_share) * 100 AS taas_share_qoq_pp,
    (m.taas_share - p4.taas_share) * 100 AS taas_share_yoy_pp,
    m.taas * 4 AS taas_run_rate
FROM m
LEFT JOIN m AS p1 ON p1.company = m.company AND p1.segment = m.segment AND p1.qi = m.qi - 1
LEFT JOIN m AS p4 ON p4.company = m.company AND p4.segment = m.segment AND p4.qi = m.qi - 4
ORDER BY m.company, m.segment, m.calendar_quarter
