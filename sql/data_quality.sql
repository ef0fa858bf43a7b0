-- data_quality: one row per finding about the facts, for an analyst to review
-- before trusting the analyses. check_name is one of:
--
--   segment_sum_mismatch  reported segments (not business lines "<parent> / <line>", not
--                         Total) do not add up to the reported Total, for revenue and
--                         operating_income: |sum - Total| > tolerance, where
--                         tolerance = reconciliation_tolerance_units x source_scale
--                                     x (segments summed + 1 for the Total),
--                         i.e. each value written may be off by that much rounding in the
--                         scale it was written in (0.5 of a million in a sheet in millions).
--                         value = sum of the segments, expected = the Total.
--   margin_out_of_range   operating_income / revenue outside [-1, 1]. value = the margin,
--                         tolerance = 1.
--   conflicting_values    one key (company, segment, metric, quarter, source_kind) read with
--                         different values in one vintage (same as_of, read in the same run). value = the first
--                         value in (file, sheet, cell) order, expected = the first that
--                         differs from it; detail lists every value with its cell.
--   series_gap            a quarter missing between the first and last quarter of a
--                         company, segment and metric (any source_kind). calendar_quarter =
--                         the missing quarter; cells = the values before and after the gap.
--   large_margin_move     |operating margin - previous quarter's| x 10,000 > large_move_bps,
--                         both margins within [-1, 1] (outside it, margin_out_of_range
--                         reports them and a move means nothing). value = this quarter's
--                         margin, expected = the previous quarter's, tolerance =
--                         large_move_bps / 10,000.
--   restatement           a key whose value changed from one vintage to the next. Vintages
--                         are ordered by as_of, then by the run that first read them
--                         (ingest_seq): a workbook replaced under the same as_of restates it.
--                         value = the new value (as_of), expected = the value it replaces
--                         (expected_as_of); one row per change.
--
--   difference = value - expected; cells = "file:Sheet!A1" of every value involved, the
--   value's cells first, then the expected's, separated by "; "; detail says it in words.
-- Margins use the reported value where both a reported and an estimated one exist.
-- Parameters: reconciliation_tolerance_units (default 0.5), large_move_bps (default 1000).
WITH cells AS (
    SELECT
        *,
        CAST(substr(calendar_quarter, 1, 4) AS INTEGER) * 4
            + CAST(substr(calendar_quarter, 6, 1) AS INTEGER) - 1 AS qi,
        source_file || ':' || source_cell AS cell
    FROM facts
),
vintages AS (
    SELECT *, source_file || ':' || source_cell AS cell
    FROM facts_vintages
),

-- segment_sum_mismatch
parts AS (
    SELECT
        company,
        metric,
        calendar_quarter,
        count(*) AS n,
        sum(value ORDER BY segment) AS value,
        max(source_scale) AS scale,
        max(as_of) AS as_of,
        string_agg(cell, '; ' ORDER BY segment) AS cells,
        string_agg(segment, ' + ' ORDER BY segment) AS segments
    FROM cells
    WHERE source_kind = 'reported' AND metric IN ('revenue', 'operating_income')
        AND segment <> 'Total' AND NOT regexp_matches(segment, ' / ')
    GROUP BY company, metric, calendar_quarter
),
recon AS (
    SELECT
        t.company,
        t.metric,
        t.calendar_quarter,
        t.value AS total,
        t.as_of AS total_as_of,
        t.cell AS total_cell,
        p.*  EXCLUDE (company, metric, calendar_quarter),
        getvariable('reconciliation_tolerance_units') * greatest(p.scale, t.source_scale) * (p.n + 1) AS tolerance
    FROM cells AS t
    JOIN parts AS p
        ON p.company = t.company AND p.metric = t.metric AND p.calendar_quarter = t.calendar_quarter
    WHERE t.segment = 'Total' AND t.source_kind = 'reported'
),

-- margin_out_of_range, large_margin_move
best AS (
    SELECT *
    FROM cells
    WHERE metric IN ('revenue', 'operating_income')
    QUALIFY row_number() OVER (
        PARTITION BY company, segment, metric, calendar_quarter
        ORDER BY source_kind = 'reported' DESC, as_of DESC, source_file, source_cell
    ) = 1
),
margins AS (
    SELECT
        r.company,
        r.segment,
        r.calendar_quarter,
        r.qi,
        r.value AS revenue,
        o.value AS operating_income,
        o.value / r.value AS margin,
        CASE WHEN r.source_kind = o.source_kind THEN r.source_kind
            ELSE r.source_kind || '/' || o.source_kind END AS source_kind,
        greatest(r.as_of, o.as_of) AS as_of,
        r.cell || '; ' || o.cell AS cells
    FROM best AS r
    JOIN best AS o
        ON o.company = r.company AND o.segment = r.segment
        AND o.calendar_quarter = r.calendar_quarter AND o.metric = 'operating_income'
    WHERE r.metric = 'revenue' AND r.value <> 0
),

-- conflicting_values
ordered AS (
    SELECT
        *,
        row_number() OVER k AS pos,
        first_value(value) OVER k AS first_val
    FROM vintages
    WINDOW k AS (
        PARTITION BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
        ORDER BY source_file, source_sheet, source_cell
    )
),
conflicts AS (
    SELECT
        company,
        segment,
        metric,
        calendar_quarter,
        source_kind,
        as_of,
        min(first_val) AS value,
        arg_min(value, pos) FILTER (WHERE value <> first_val) AS expected,
        count(DISTINCT value) AS n_values,
        string_agg(cell, '; ' ORDER BY pos) AS cells,
        string_agg(regexp_replace(format('{:,}', value), '\.0$', '') || ' at ' || cell, '; ' ORDER BY pos) AS listing
    FROM ordered
    GROUP BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
    HAVING count(DISTINCT value) > 1
),

-- series_gap
present AS (
    SELECT
        company,
        segment,
        metric,
        qi,
        calendar_quarter,
        string_agg(cell, '; ' ORDER BY source_kind, cell) AS cells
    FROM cells
    GROUP BY company, segment, metric, qi, calendar_quarter
),
spans AS (
    SELECT company, segment, metric, unnest(range(min(qi), max(qi) + 1)) AS qi
    FROM present
    GROUP BY company, segment, metric
),
missing AS (
    SELECT s.*
    FROM spans AS s
    ANTI JOIN present AS p
        ON p.company = s.company AND p.segment = s.segment AND p.metric = s.metric AND p.qi = s.qi
),
gaps AS (
    SELECT
        m.company,
        m.segment,
        m.metric,
        CAST(m.qi // 4 AS VARCHAR) || 'Q' || CAST(m.qi % 4 + 1 AS VARCHAR) AS calendar_quarter,
        b.calendar_quarter AS before_quarter,
        a.calendar_quarter AS after_quarter,
        b.cells || '; ' || a.cells AS cells
    FROM missing AS m
    ASOF JOIN present AS b
        ON b.company = m.company AND b.segment = m.segment AND b.metric = m.metric AND b.qi < m.qi
    ASOF JOIN present AS a
        ON a.company = m.company AND a.segment = m.segment AND a.metric = m.metric AND a.qi > m.qi
),

-- restatement
per_vintage AS (
    SELECT *
    FROM ordered
    WHERE pos = 1
),
changes AS (
    SELECT
        *,
        lag(value) OVER k AS old_value,
        lag(as_of) OVER k AS old_as_of,
        lag(cell) OVER k AS old_cell
    FROM per_vintage
    WINDOW k AS (PARTITION BY company, segment, metric, calendar_quarter, source_kind ORDER BY as_of, ingest_seq)
),

findings AS (
    SELECT
        'segment_sum_mismatch' AS check_name,
        company,
        'Total' AS segment,
        metric,
        calendar_quarter,
        'reported' AS source_kind,
        value,
        total AS expected,
        value - total AS difference,
        tolerance,
        as_of,
        total_as_of AS expected_as_of,
        cells || '; ' || total_cell AS cells,
        format('{} {}: the segments ({}) sum to {}, the reported Total is {}: a difference of {} beyond the tolerance of {}',
            metric, calendar_quarter, segments, printf('%,.0f', value), printf('%,.0f', total),
            printf('%,.0f', value - total), printf('%,.0f', tolerance)) AS detail
    FROM recon
    WHERE abs(value - total) > tolerance

    UNION ALL
    SELECT
        'margin_out_of_range',
        company,
        segment,
        'operating_margin',
        calendar_quarter,
        source_kind,
        margin,
        NULL,
        NULL,
        1,
        as_of,
        NULL,
        cells,
        format('operating margin {}% (operating income {} / revenue {}) is outside -100%..100%',
            printf('%.2f', margin * 100), printf('%,.0f', operating_income), printf('%,.0f', revenue))
    FROM margins
    WHERE abs(margin) > 1

    UNION ALL
    SELECT
        'conflicting_values',
        company,
        segment,
        metric,
        calendar_quarter,
        source_kind,
        value,
        expected,
        value - expected,
        NULL,
        as_of,
        as_of,
        cells,
        format('{} different values in one vintage (as of {}): {}', n_values, as_of, listing)
    FROM conflicts

    UNION ALL
    SELECT
        'series_gap',
        company,
        segment,
        metric,
        calendar_quarter,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        cells,
        format('no value for {} between {} and {}', calendar_quarter, before_quarter, after_quarter)
    FROM gaps

    UNION ALL
    SELECT
        'large_margin_move',
        m.company,
        m.segment,
        'operating_margin',
        m.calendar_quarter,
        m.source_kind,
        m.margin,
        p.margin,
        m.margin - p.margin,
        getvariable('large_move_bps') / 10000,
        m.as_of,
        p.as_of,
        m.cells || '; ' || p.cells,
        format('operating margin moved {} bp Q/Q, from {}% in {} to {}% in {}; the threshold is {} bp',
            printf('%+,.1f', (m.margin - p.margin) * 10000), printf('%.2f', p.margin * 100), p.calendar_quarter,
            printf('%.2f', m.margin * 100), m.calendar_quarter, printf('%g', getvariable('large_move_bps')))
    FROM margins AS m
    JOIN margins AS p ON p.company = m.company AND p.segment = m.segment AND p.qi = m.qi - 1
    WHERE abs(m.margin) <= 1 AND abs(p.margin) <= 1
        AND abs(m.margin - p.margin) * 10000 > getvariable('large_move_bps')

    UNION ALL
    SELECT
        'restatement',
        company,
        segment,
        metric,
        calendar_quarter,
        source_kind,
        value,
        old_value,
        value - old_value,
        NULL,
        as_of,
        old_as_of,
        cell || '; ' || old_cell,
        format('restated from {} (as of {}) to {} (as of {})',
            regexp_replace(format('{:,}', old_value), '\.0$', ''), old_as_of,
            regexp_replace(format('{:,}', value), '\.0$', ''), as_of)
    FROM changes
    WHERE old_value IS NOT NULL AND value <> old_value
)
SELECT
    check_name,
    company,
    segment,
    metric,
    calendar_quarter,
    source_kind,
    CAST(value AS DOUBLE) AS value,
    CAST(expected AS DOUBLE) AS expected,
    CAST(difference AS DOUBLE) AS difference,
    CAST(tolerance AS DOUBLE) AS tolerance,
    CAST(as_of AS DATE) AS as_of,
    CAST(expected_as_of AS DATE) AS expected_as_of,
    cells,
    detail
FROM findings
ORDER BY check_name, company, segment, metric, calendar_quarter, source_kind, cells
