-- margin_bridge: a segment's Q/Q operating-margin change split across its
-- business lines into a mix effect and a rate effect.
--
-- A business line is a segment named "<parent> / <line>" (e.g. "AWS / TaaS"),
-- with revenue and operating_income. For line i of a parent, quarter t and the
-- quarter before, t-1:
--
--   share_i,t    = revenue_i,t / sum of the lines' revenue in t
--   margin_i,t   = operating_income_i,t / revenue_i,t
--   mix_i        = (share_i,t - share_i,t-1) x margin_i,t-1 x 10,000    (bp)
--   rate_i       = share_i,t x (margin_i,t - margin_i,t-1) x 10,000     (bp)
--   change_i     = (share_i,t x margin_i,t - share_i,t-1 x margin_i,t-1) x 10,000
--                = mix_i + rate_i: line i's contribution to the change
--
-- One row per line (row_kind 'line') and one per parent and quarter
-- (row_kind 'total', line NULL) where
--
--   margin           = sum of the lines' operating income / sum of their revenue
--   mix_effect_bps   = sum of mix_i,  rate_effect_bps = sum of rate_i
--   total_change_bps = (margin_t - margin_t-1) x 10,000 = mix_effect_bps + rate_effect_bps
--   parent_margin    = the parent segment's own operating margin (as reported), and
--   parent_change_bps its Q/Q change; unexplained_bps = parent_change_bps - total_change_bps
--                      is 0 when the lines add up to the parent
--
-- A quarter has a bridge only when the parent has the same lines in t and t-1,
-- each with revenue (not 0) and operating income in both quarters.
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
        max(unit) FILTER (WHERE metric = 'revenue') AS unit,
        max(value) FILTER (WHERE metric = 'revenue') AS revenue,
        max(value) FILTER (WHERE metric = 'operating_income') AS operating_income
    FROM best
    GROUP BY company, segment, calendar_quarter
),
lines AS (
    SELECT
        *,
        regexp_extract(segment, '^(.+) / (.+)$', 1) AS parent,
        regexp_extract(segment, '^(.+) / (.+)$', 2) AS line
    FROM q
    WHERE regexp_matches(segment, '^(.+) / (.+)$')
),
pairs AS (
    SELECT
        c.*,
        p.calendar_quarter AS prev_quarter,
        p.revenue AS prev_revenue,
        p.operating_income AS prev_operating_income
    FROM lines AS c
    LEFT JOIN lines AS p
        ON p.company = c.company AND p.segment = c.segment AND p.qi = c.qi - 1
),
-- Bridgeable quarters: every line of t is complete in t and t-1, and t-1 has
-- no line that t lacks.
groups AS (
    SELECT
        company,
        parent,
        qi,
        count(*) AS n_lines,
        count(*) FILTER (
            WHERE revenue <> 0 AND prev_revenue <> 0
                AND operating_income IS NOT NULL AND prev_operating_income IS NOT NULL
        ) AS n_complete,
        sum(revenue) AS lines_revenue,
        sum(prev_revenue) AS lines_prev_revenue,
        sum(operating_income) AS lines_operating_income,
        sum(prev_operating_income) AS lines_prev_operating_income
    FROM pairs
    GROUP BY company, parent, qi
),
ok AS (
    SELECT g.*
    FROM groups AS g
    JOIN (SELECT company, parent, qi, count(*) AS n FROM lines GROUP BY ALL) AS before
        ON before.company = g.company AND before.parent = g.parent AND before.qi = g.qi - 1
    WHERE g.n_complete = g.n_lines AND before.n = g.n_lines
        AND g.lines_revenue <> 0 AND g.lines_prev_revenue <> 0
),
line_rows AS (
    SELECT
        p.company,
        p.parent AS segment,
        p.line,
        p.segment AS line_segment,
        'line' AS row_kind,
        p.calendar_quarter,
        p.prev_quarter,
        p.qi,
        p.fiscal_year,
        p.fiscal_quarter,
        p.period_end,
        p.unit,
        p.revenue,
        p.prev_revenue,
        p.operating_income,
        p.prev_operating_income,
        p.revenue / ok.lines_revenue AS share,
        p.prev_revenue / ok.lines_prev_revenue AS prev_share,
        p.operating_income / p.revenue AS margin,
        p.prev_operating_income / p.prev_revenue AS prev_margin,
        (p.revenue / ok.lines_revenue - p.prev_revenue / ok.lines_prev_revenue)
            * (p.prev_operating_income / p.prev_revenue) * 10000 AS mix_effect_bps,
        p.revenue / ok.lines_revenue
            * (p.operating_income / p.revenue - p.prev_operating_income / p.prev_revenue) * 10000 AS rate_effect_bps,
        (p.operating_income / ok.lines_revenue - p.prev_operating_income / ok.lines_prev_revenue)
            * 10000 AS total_change_bps
    FROM pairs AS p
    JOIN ok ON ok.company = p.company AND ok.parent = p.parent AND ok.qi = p.qi
),
total_rows AS (
    SELECT
        ok.company,
        ok.parent AS segment,
        CAST(NULL AS VARCHAR) AS line,
        CAST(NULL AS VARCHAR) AS line_segment,
        'total' AS row_kind,
        max(l.calendar_quarter) AS calendar_quarter,
        max(l.prev_quarter) AS prev_quarter,
        ok.qi,
        max(l.fiscal_year) AS fiscal_year,
        max(l.fiscal_quarter) AS fiscal_quarter,
        max(l.period_end) AS period_end,
        max(l.unit) AS unit,
        ok.lines_revenue AS revenue,
        ok.lines_prev_revenue AS prev_revenue,
        ok.lines_operating_income AS operating_income,
        ok.lines_prev_operating_income AS prev_operating_income,
        CAST(1 AS DOUBLE) AS share,
        CAST(1 AS DOUBLE) AS prev_share,
        ok.lines_operating_income / ok.lines_revenue AS margin,
        ok.lines_prev_operating_income / ok.lines_prev_revenue AS prev_margin,
        sum(l.mix_effect_bps ORDER BY l.line) AS mix_effect_bps,
        sum(l.rate_effect_bps ORDER BY l.line) AS rate_effect_bps,
        (ok.lines_operating_income / ok.lines_revenue
            - ok.lines_prev_operating_income / ok.lines_prev_revenue) * 10000 AS total_change_bps
    FROM ok
    JOIN line_rows AS l ON l.company = ok.company AND l.segment = ok.parent AND l.qi = ok.qi
    GROUP BY ok.company, ok.parent, ok.qi, ok.lines_revenue, ok.lines_prev_revenue,
        ok.lines_operating_income, ok.lines_prev_operating_income
),
parent AS (
    SELECT
        c.company,
        c.segment,
        c.qi,
        c.operating_income / nullif(c.revenue, 0) AS parent_margin,
        p.operating_income / nullif(p.revenue, 0) AS parent_prev_margin
    FROM q AS c
    LEFT JOIN q AS p ON p.company = c.company AND p.segment = c.segment AND p.qi = c.qi - 1
)
SELECT
    t.company,
    t.segment,
    t.line,
    t.line_segment,
    t.row_kind,
    t.calendar_quarter,
    t.prev_quarter,
    t.fiscal_year,
    t.fiscal_quarter,
    t.period_end,
    t.unit,
    t.revenue,
    t.prev_revenue,
    t.operating_income,
    t.prev_operating_income,
    t.share,
    t.prev_share,
    t.margin,
    t.prev_margin,
    t.mix_effect_bps,
    t.rate_effect_bps,
    t.total_change_bps,
    CASE WHEN t.row_kind = 'total' THEN pa.parent_margin END AS parent_margin,
    CASE WHEN t.row_kind = 'total' THEN pa.parent_prev_margin END AS parent_prev_margin,
    CASE WHEN t.row_kind = 'total' THEN (pa.parent_margin - pa.parent_prev_margin) * 10000 END AS parent_change_bps,
    CASE WHEN t.row_kind = 'total' THEN (pa.parent_margin - pa.parent_prev_margin) * 10000 - t.total_change_bps END
        AS unexplained_bps
FROM (SELECT * FROM line_rows UNION ALL SELECT * FROM total_rows) AS t
-- Joined on the keys alone (parent has one row per company, segment and
-- quarter) and kept to the total rows by the CASEs above: a condition on
-- t.row_kind in ON would leave DuckDB no equality to hash on, and a nested
-- loop join over every line and total row.
LEFT JOIN parent AS pa
    ON pa.company = t.company AND pa.segment = t.segment AND pa.qi = t.qi
ORDER BY t.company, t.segment, t.calendar_quarter, t.row_kind, t.line
