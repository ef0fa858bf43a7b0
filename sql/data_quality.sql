-- data_quality: one row per finding about the facts, for an analyst to review
-- before trusting the analyses. check_name is one of:
--
--   segment_sum_mismatch  a breakdown that does not add up to its Total, for revenue and
--                         operating_income. A breakdown is what one sheet of a workbook
--                         gives in one of the breakdown column's kinds (operating segments,
--                         regions, product lines, or those the workbook does not name): the
--                         reported segments of that kind (not business lines "<parent> /
--                         <line>", not Total) read from the same file and sheet, in the same
--                         vintage, as a current reported Total (of the vintage facts holds).
--                         A sheet that splits its Total by segment and by region has each
--                         split checked on its own. Lines within a segment (a spec's
--                         "<segment> / <line>", EDGAR's "<segment> | <line>") are not summed,
--                         and a single segment beside a Total is no split of it.
--                         A workbook that splits one Total several ways on several sheets
--                         (segments, geography, products, each with its Total row) has each
--                         split checked against its own Total, never the segments of all
--                         sheets summed. Segments on a sheet without a Total are not checked;
--                         a segment (or Total) written twice on one sheet counts once, its
--                         first cell. A finding when |sum - Total| > tolerance, where
--                         tolerance = reconciliation_tolerance_units x source_scale
--                                     x (segments summed + 1 for the Total),
--                         i.e. each value written may be off by that much rounding in the
--                         scale it was written in (0.5 of a million in a sheet in millions).
--                         value = sum of the segments, expected = the Total.
--   margin_out_of_range   operating_income / revenue outside [-1, 1]: one row per company,
--                         segment and source_kind, at the latest such quarter (value = its
--                         margin), every such quarter listed in detail. tolerance = 1.
--   conflicting_values    one key (company, segment, metric, quarter, source_kind) read with
--                         different values in one vintage (same as_of, read in the same run). value = the first
--                         value in (file, sheet, cell) order, expected = the first that
--                         differs from it; detail lists every value with its cell.
--   scale_mismatch        a conflicting_values finding whose values, of one sign, some read
--                         in whole units (source_scale 1) and some in a stated scale of
--                         1,000 or more, are about 1,000 or 1,000,000 times apart (within
--                         2%): one sheet's scale was lost or misstated. Same columns as conflicting_values; facts publishes
--                         the value read in the larger source_scale (latest.sql).
--   series_gap            quarters missing between the first and last quarter of a
--                         company, segment and metric (any source_kind) where a sheet that
--                         gave the series values has them for another row of its table
--                         (below). Quarters missing one after another are one row:
--                         first_quarter to calendar_quarter; cells = the values before and
--                         after the gap.
--   large_margin_move     |operating margin - previous quarter's| x 10,000 > large_move_bps,
--                         both margins within [-1, 1] (outside it, margin_out_of_range
--                         reports them and a move means nothing). value = this quarter's
--                         margin, expected = the previous quarter's, tolerance =
--                         large_move_bps / 10,000.
--   restatement           a key whose value changed from one vintage to the next. Vintages
--                         are ordered by as_of, then by the run that first read them
--                         (ingest_seq): a workbook replaced under the same as_of restates it.
--                         value = the new value (as_of), expected = the value it replaces
--                         (expected_as_of); one row per change. detail names each
--                         side's as_of, the run that read it and the file version
--                         (the first 12 characters of its sha256), so that a
--                         workbook replaced under the same name and as_of is told
--                         apart from the one it replaces.
--   reader_finding        what the reader of a workbook skipped or decided, with its cells:
--                         rows not mapped to a metric (one row per sheet, every cell
--                         listed), a table whose periods it could not read, a cell that
--                         is no number, a cover sheet overruled by the spec, values passed
--                         over for a sheet the spec prefers, a vintage date older than the
--                         data it dates. detail is
--                         the reader's message; the other value columns are NULL.
--                         Workbooks kept unchanged keep the findings of the run that read
--                         them (from _manifest.json).
--   workbook_quarantined  a workbook not read at all; cells = the file, detail = the reason
--                         (which names the sheet and cell where it has them).
--
--   occurrences = how many findings a row stands for (1 but for the two grouped
--   checks); first_quarter = the earliest quarter it covers.
--   difference = value - expected; cells = "file:Sheet!A1" of every value involved, the
--   value's cells first, then the expected's, separated by "; "; detail says it in words.
-- Margins use the reported value where both a reported and an estimated one exist
-- (facts_preferred).
-- Parameters: reconciliation_tolerance_units (default 0.5), large_move_bps (default 1000).
--
-- facts and facts_vintages run to millions of rows, and this runs within a
-- small memory limit: every step that orders, windows or lists values first
-- narrows the rows to the few that can give a finding, found with cheap
-- counts per series and per sheet. The whole-table CTEs are NOT MATERIALIZED
-- (DuckDB would otherwise store a CTE used twice, here millions of rows).
WITH cells AS NOT MATERIALIZED (
    SELECT
        *,
        CAST(substr(calendar_quarter, 1, 4) AS INTEGER) * 4
            + CAST(substr(calendar_quarter, 6, 1) AS INTEGER) - 1 AS qi,
        source_file || ':' || source_cell AS cell
    FROM facts
),
vintages AS NOT MATERIALIZED (
    SELECT
        *,
        CAST(substr(calendar_quarter, 1, 4) AS INTEGER) * 4
            + CAST(substr(calendar_quarter, 6, 1) AS INTEGER) - 1 AS qi,
        source_file || ':' || source_cell AS cell
    FROM facts_vintages
),

-- Per series (company, segment, metric, source_kind) of facts: its quarters,
-- the first and the last. facts holds one row per key and so one per quarter.
series AS MATERIALIZED (
    SELECT
        company,
        segment,
        metric,
        source_kind,
        count(*) AS n,
        min(calendar_quarter) AS first_quarter,
        max(calendar_quarter) AS last_quarter
    FROM facts
    GROUP BY company, segment, metric, source_kind
),
-- conflicting_values, restatement: a key read only once has no second
-- value. Only the series with more rows in facts_vintages than in facts (one
-- a key) have keys read more than once.
repeated AS (
    SELECT company, segment, metric, source_kind, count(*) AS n
    FROM facts_vintages
    GROUP BY company, segment, metric, source_kind
    EXCEPT ALL
    SELECT company, segment, metric, source_kind, n
    FROM series
),

-- segment_sum_mismatch
-- Every sheet (file, sheet and vintage) with reported segments and a
-- reported Total: its Total (the sheet's first Total cell) and, per
-- breakdown of its segments (part: operating segments, geography, product
-- lines, or '' where the workbook does not say), a first, unordered sum of
-- the segments. One scan groups the Total rows (part NULL) and each part;
-- sheets joins them. sheet_totals keeps the sheets whose Total is of the
-- current vintage (as_of and ingest_seq), the one facts holds.
sheet_groups AS MATERIALIZED (
    SELECT
        company,
        metric,
        calendar_quarter,
        source_file,
        source_sheet,
        as_of,
        ingest_seq,
        CASE WHEN segment <> 'Total' THEN coalesce(breakdown, '') END AS part,
        arg_min(value, source_cell) AS first_value,
        arg_min(source_scale, source_cell) AS first_scale,
        min(source_cell) AS first_cell,
        count(*) AS n,
        count(DISTINCT segment) AS n_segments,
        sum(value) AS value,
        sum(abs(value)) AS magnitude,
        max(source_scale) AS scale
    FROM vintages
    WHERE source_kind = 'reported' AND metric IN ('revenue', 'operating_income')
        AND NOT contains(segment, ' / ') AND NOT contains(segment, ' | ')
        -- the same again as a range, which DuckDB applies while reading (an IN list it does not)
        AND metric BETWEEN 'operating_income' AND 'revenue'
    GROUP BY ALL
),
sheets AS (
    SELECT
        s.company,
        s.metric,
        s.calendar_quarter,
        s.source_file,
        s.source_sheet,
        s.as_of,
        s.ingest_seq,
        s.part,
        t.first_value AS total,
        t.first_scale AS total_scale,
        t.first_cell AS total_source_cell,
        s.n,
        s.n_segments,
        s.value,
        s.magnitude,
        s.scale
    FROM sheet_groups AS s
    JOIN sheet_groups AS t
        ON t.part IS NULL AND s.part IS NOT NULL
        AND t.company = s.company AND t.metric = s.metric AND t.calendar_quarter = s.calendar_quarter
        AND t.source_file = s.source_file AND t.source_sheet = s.source_sheet
        AND t.as_of = s.as_of AND t.ingest_seq = s.ingest_seq
    -- one segment beside a Total is no split of it (Microsoft Cloud, a
    -- figure that spans segments, next to total revenue)
    WHERE s.n_segments >= 2
),
sheet_totals AS (
    SELECT * EXCLUDE (n, n_segments, value, magnitude, scale)
    FROM sheets
    -- facts_preferred holds the reported Total of facts wherever there is one
    -- (and is a table, quicker to read than facts)
    SEMI JOIN (
        SELECT company, metric, calendar_quarter, as_of, ingest_seq
        FROM facts_preferred
        WHERE segment = 'Total' AND source_kind = 'reported' AND metric IN ('revenue', 'operating_income')
    ) AS f USING (company, metric, calendar_quarter, as_of, ingest_seq)
),
-- The parts that may not add up: beyond the tolerance less a margin far
-- above any rounding of an unordered floating-point sum, or with a segment
-- written twice on the sheet (which counts once). Only these are summed in
-- order and listed.
suspect AS (
    SELECT company, metric, calendar_quarter, source_file, source_sheet, as_of, ingest_seq, part
    FROM sheets
    SEMI JOIN sheet_totals USING (company, metric, calendar_quarter, source_file, source_sheet, as_of, ingest_seq, part)
    WHERE n <> n_segments
        OR abs(value - total) > getvariable('reconciliation_tolerance_units') * greatest(scale, total_scale) * (n + 1)
            - 1e-9 * (magnitude + abs(total))
),
-- The suspect parts' segments, each once (its first cell on the sheet).
sheet_segments AS (
    SELECT
        company,
        metric,
        calendar_quarter,
        source_file,
        source_sheet,
        as_of,
        ingest_seq,
        coalesce(breakdown, '') AS part,
        segment,
        arg_min(value, source_cell) AS value,
        arg_min(source_scale, source_cell) AS scale,
        arg_min(cell, source_cell) AS cell
    FROM vintages
    SEMI JOIN suspect USING (company, metric, calendar_quarter, source_file, source_sheet, as_of, ingest_seq)
    WHERE source_kind = 'reported' AND metric IN ('revenue', 'operating_income')
        AND segment <> 'Total' AND NOT contains(segment, ' / ') AND NOT contains(segment, ' | ')
    GROUP BY ALL
),
parts AS (
    SELECT
        company,
        metric,
        calendar_quarter,
        source_file,
        source_sheet,
        as_of,
        ingest_seq,
        part,
        count(*) AS n,
        sum(value ORDER BY segment) AS value,
        max(scale) AS scale,
        string_agg(cell, '; ' ORDER BY segment) AS cells,
        string_agg(segment, ' + ' ORDER BY segment) AS segments
    FROM sheet_segments
    SEMI JOIN suspect USING (company, metric, calendar_quarter, source_file, source_sheet, as_of, ingest_seq, part)
    GROUP BY ALL
),
recon AS (
    SELECT
        t.company,
        t.metric,
        t.calendar_quarter,
        t.source_file,
        t.source_sheet,
        t.part,
        t.total,
        t.as_of AS total_as_of,
        t.source_file || ':' || t.total_source_cell AS total_cell,
        p.n,
        p.value,
        p.as_of,
        p.cells,
        p.segments,
        getvariable('reconciliation_tolerance_units') * greatest(p.scale, t.total_scale) * (p.n + 1) AS tolerance
    FROM sheet_totals AS t
    JOIN parts AS p
        USING (company, metric, calendar_quarter, source_file, source_sheet, as_of, ingest_seq, part)
),

-- margin_out_of_range, large_margin_move: the preferred value of each fact
-- (reported over estimate, then the latest vintage, then the first cell).
best AS NOT MATERIALIZED (
    SELECT
        *,
        CAST(substr(calendar_quarter, 1, 4) AS INTEGER) * 4
            + CAST(substr(calendar_quarter, 6, 1) AS INTEGER) - 1 AS qi,
        source_file || ':' || source_cell AS cell
    FROM facts_preferred
    WHERE metric IN ('revenue', 'operating_income')
),
margins AS MATERIALIZED (
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
-- large_margin_move: the quarters whose margin moved, found by joining the
-- margins alone, so that only theirs carry cells and dates through a join
-- (joining every row with all its columns took 2.9 of data_quality's 22.4
-- CPU seconds over 2,000 supplements' facts, this 0.9: docs/performance.md).
-- The check below applies the condition again, so that its rows are the
-- one join's even were a margin's key not unique.
moves AS (
    SELECT DISTINCT m.company, m.segment, m.qi
    FROM margins AS m
    JOIN margins AS p ON p.company = m.company AND p.segment = m.segment AND p.qi = m.qi - 1
    WHERE abs(m.margin) <= 1 AND abs(p.margin) <= 1
        AND abs(m.margin - p.margin) * 10000 > getvariable('large_move_bps')
),
-- One row per series whose margin is out of range, however many quarters:
-- the latest quarter's figures, every quarter listed.
out_of_range AS (
    SELECT
        company,
        segment,
        source_kind,
        count(*) AS n,
        min(calendar_quarter) AS first_quarter,
        max(calendar_quarter) AS calendar_quarter,
        arg_max(margin, qi) AS margin,
        arg_max(revenue, qi) AS revenue,
        arg_max(operating_income, qi) AS operating_income,
        arg_max(as_of, qi) AS as_of,
        string_agg(cells, '; ' ORDER BY qi DESC) AS cells,
        string_agg(calendar_quarter || ' ' || printf('%.2f', margin * 100) || '%', ', ' ORDER BY qi) AS listing
    FROM margins
    WHERE abs(margin) > 1
    GROUP BY company, segment, source_kind
),

-- conflicting_values, restatement: the keys of repeated series with more
-- than one value, and every row of them.
varying AS (
    SELECT company, segment, metric, calendar_quarter, source_kind
    FROM facts_vintages
    SEMI JOIN repeated USING (company, segment, metric, source_kind)
    GROUP BY company, segment, metric, calendar_quarter, source_kind
    HAVING min(value) <> max(value)
),
-- Only the columns the two checks use: after a few restating publications
-- these are every vintage of most keys, and the whole rows (hashes, labels,
-- lineage) once ran the analyses out of their memory.
ordered AS (
    SELECT
        company,
        segment,
        metric,
        calendar_quarter,
        source_kind,
        as_of,
        ingest_seq,
        value,
        source_scale,
        cell,
        left(source_sha256, 12) AS version,
        row_number() OVER k AS pos,
        first_value(value) OVER k AS first_val
    FROM vintages
    SEMI JOIN varying USING (company, segment, metric, calendar_quarter, source_kind)
    WINDOW k AS (
        PARTITION BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
        ORDER BY source_file, source_sheet, source_cell
    )
),
-- The vintages of a key whose sources disagree: a cheap min/max first, so
-- that the ordered listings below are built for these few groups only (the
-- ordered aggregates cannot spill, and over every vintage of every
-- restated key they ran the analyses out of memory).
conflicted AS (
    SELECT company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
    FROM ordered
    GROUP BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
    HAVING min(value) <> max(value)
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
        string_agg(regexp_replace(format('{:,}', value), '\.0$', '') || ' at ' || cell, '; ' ORDER BY pos) AS listing,
        -- a scale lost on one sheet: values of one sign read in whole units
        -- and in a stated scale (latest.sql's rule 0), the largest over the
        -- smallest size (near 1,000 or 1,000,000 below)
        CASE WHEN min(source_scale) = 1 AND max(source_scale) >= 1000 AND (min(value) > 0 OR max(value) < 0)
            THEN max(abs(value)) / min(abs(value)) END AS factor
    FROM ordered
    SEMI JOIN conflicted USING (company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq)
    GROUP BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
),
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
        lag(cell) OVER k AS old_cell,
        lag(ingest_seq) OVER k AS old_ingest_seq,
        lag(version) OVER k AS old_version
    FROM per_vintage
    WINDOW k AS (PARTITION BY company, segment, metric, calendar_quarter, source_kind ORDER BY as_of, ingest_seq)
),

-- series_gap
-- A series (company, segment, metric) has no gap when one source_kind has a
-- value in every quarter from the series' first to its last: a source_kind
-- with as many quarters as its span is contiguous, and one as long as the
-- series' span covers it. Only the other series are looked at quarter by
-- quarter.
gappy AS (
    SELECT company, segment, metric, min(lo) AS lo, max(hi) AS hi
    FROM (
        SELECT
            company,
            segment,
            metric,
            n,
            CAST(substr(first_quarter, 1, 4) AS INTEGER) * 4 + CAST(substr(first_quarter, 6, 1) AS INTEGER) - 1 AS lo,
            CAST(substr(last_quarter, 1, 4) AS INTEGER) * 4 + CAST(substr(last_quarter, 6, 1) AS INTEGER) - 1 AS hi
        FROM series
    )
    GROUP BY company, segment, metric
    HAVING max(CASE WHEN n = hi - lo + 1 THEN n ELSE 0 END) < max(hi) - min(lo) + 1
),
present AS (
    SELECT DISTINCT company, segment, metric, qi, calendar_quarter
    FROM cells
    SEMI JOIN gappy USING (company, segment, metric)
),
-- A quarter is expected of a series where a sheet that gave the series
-- values (in any vintage) has that quarter for another row that also has
-- every quarter the series has on that sheet: a row of the same table, with
-- a value where the series has none. A 10-Q that states a quarter and the
-- same quarter a year before has no column for the quarters between; a table
-- of other quarters further down the sheet does not share the series'
-- quarters; and a quarter no workbook of the company has is no gap.
gap_sheets AS (
    SELECT DISTINCT company, source_file, source_sheet
    FROM vintages
    SEMI JOIN gappy USING (company, segment, metric)
),
sheet_rows AS (
    SELECT DISTINCT
        company,
        segment,
        metric,
        source_file,
        source_sheet,
        qi
    FROM vintages
    SEMI JOIN gap_sheets USING (company, source_file, source_sheet)
),
gappy_rows AS (
    SELECT *, count(*) OVER (PARTITION BY company, segment, metric, source_file, source_sheet) AS n
    FROM sheet_rows
    SEMI JOIN gappy USING (company, segment, metric)
),
-- Rows of a sheet that have every quarter a gappy series has on it.
covering AS (
    SELECT g.company, g.segment, g.metric, g.source_file, g.source_sheet, r.segment AS r_segment, r.metric AS r_metric
    FROM gappy_rows AS g
    JOIN sheet_rows AS r
        ON r.company = g.company AND r.source_file = g.source_file AND r.source_sheet = g.source_sheet
        AND r.qi = g.qi AND (r.segment <> g.segment OR r.metric <> g.metric)
    GROUP BY ALL
    HAVING count(*) = max(g.n)
),
expected_quarters AS (
    SELECT c.company, c.segment, c.metric, r.qi, min(c.source_file || ':' || c.source_sheet) AS sheet
    FROM covering AS c
    JOIN sheet_rows AS r
        ON r.company = c.company AND r.source_file = c.source_file AND r.source_sheet = c.source_sheet
        AND r.segment = c.r_segment AND r.metric = c.r_metric
    GROUP BY ALL
),
missing AS (
    SELECT s.*, e.sheet
    FROM (SELECT company, segment, metric, unnest(range(lo, hi + 1)) AS qi FROM gappy) AS s
    JOIN expected_quarters AS e USING (company, segment, metric, qi)
    ANTI JOIN present AS p
        ON p.company = s.company AND p.segment = s.segment AND p.metric = s.metric AND p.qi = s.qi
),
-- Quarters missing one after another are one gap: one row, with its count.
missing_runs AS (
    SELECT company, segment, metric, min(qi) AS lo, max(qi) AS hi, count(*) AS n, min(sheet) AS sheet
    FROM (
        SELECT *, qi - row_number() OVER (PARTITION BY company, segment, metric ORDER BY qi) AS run
        FROM missing
    )
    GROUP BY company, segment, metric, run
),
gaps AS (
    SELECT
        m.company,
        m.segment,
        m.metric,
        m.n,
        m.sheet,
        CAST(m.lo // 4 AS VARCHAR) || 'Q' || CAST(m.lo % 4 + 1 AS VARCHAR) AS first_quarter,
        CAST(m.hi // 4 AS VARCHAR) || 'Q' || CAST(m.hi % 4 + 1 AS VARCHAR) AS calendar_quarter,
        b.calendar_quarter AS before_quarter,
        a.calendar_quarter AS after_quarter,
        b.qi AS before_qi,
        a.qi AS after_qi
    FROM missing_runs AS m
    ASOF JOIN present AS b
        ON b.company = m.company AND b.segment = m.segment AND b.metric = m.metric AND b.qi < m.lo
    ASOF JOIN present AS a
        ON a.company = m.company AND a.segment = m.segment AND a.metric = m.metric AND a.qi > m.hi
),
-- The cells of the quarters next to a gap.
gap_cells AS (
    SELECT company, segment, metric, qi, string_agg(cell, '; ' ORDER BY source_kind, cell) AS cells
    FROM cells
    SEMI JOIN (
        SELECT company, segment, metric, before_qi AS qi FROM gaps
        UNION
        SELECT company, segment, metric, after_qi AS qi FROM gaps
    ) AS k USING (company, segment, metric, qi)
    GROUP BY company, segment, metric, qi
),
gap_rows AS (
    SELECT g.*, b.cells || '; ' || a.cells AS cells
    FROM gaps AS g
    JOIN gap_cells AS b
        ON b.company = g.company AND b.segment = g.segment AND b.metric = g.metric AND b.qi = g.before_qi
    JOIN gap_cells AS a
        ON a.company = g.company AND a.segment = g.segment AND a.metric = g.metric AND a.qi = g.after_qi
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
        format('{} {}, {}:{}: the {} ({}) sum to {}, the reported Total is {}: a difference of {} beyond the tolerance of {}',
            metric, calendar_quarter, source_file, source_sheet,
            CASE part WHEN 'operating_segment' THEN 'operating segments' WHEN 'geography' THEN 'regions'
                WHEN 'product_line' THEN 'product lines' ELSE 'segments' END, segments, printf('%,.0f', value), printf('%,.0f', total),
            printf('%,.0f', value - total), printf('%,.0f', tolerance)) AS detail,
        1 AS occurrences,
        calendar_quarter AS first_quarter
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
        CASE WHEN n = 1
            THEN format('operating margin {}% (operating income {} / revenue {}) is outside -100%..100%',
                printf('%.2f', margin * 100), printf('%,.0f', operating_income), printf('%,.0f', revenue))
            ELSE format('operating margin outside -100%..100% in {} quarters from {} to {}: {}; the latest (operating income {} / revenue {})',
                n, first_quarter, calendar_quarter, listing, printf('%,.0f', operating_income), printf('%,.0f', revenue))
        END,
        n,
        first_quarter
    FROM out_of_range

    UNION ALL
    SELECT
        CASE WHEN scale_factor IS NULL THEN 'conflicting_values' ELSE 'scale_mismatch' END,
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
        CASE WHEN scale_factor IS NULL
            THEN format('{} different values in one vintage (as of {}): {}', n_values, as_of, listing)
            ELSE format('{} values in one vintage (as of {}) about {} times apart, a scale lost on one sheet: {}; facts publishes the value read in the larger stated scale',
                n_values, as_of, printf('%,.0f', scale_factor), listing)
        END,
        1,
        calendar_quarter
    FROM (
        SELECT *,
            CASE WHEN abs(factor / 1e3 - 1) <= 0.02 THEN 1e3 WHEN abs(factor / 1e6 - 1) <= 0.02 THEN 1e6 END AS scale_factor
        FROM conflicts
    )

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
        CASE WHEN n = 1
            THEN format('no value for {} between {} and {}, where {} has {} for the other rows of its table',
                calendar_quarter, before_quarter, after_quarter, sheet, calendar_quarter)
            ELSE format('no value for {} quarters, {} to {}, between {} and {}, where {} has them for the other rows of its table',
                n, first_quarter, calendar_quarter, before_quarter, after_quarter, sheet)
        END,
        n,
        first_quarter
    FROM gap_rows

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
            printf('%.2f', m.margin * 100), m.calendar_quarter, printf('%g', getvariable('large_move_bps'))),
        1,
        m.calendar_quarter
    FROM moves
    JOIN margins AS m USING (company, segment, qi)
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
        format('restated from {} (as of {}, read in run {} from file version {}) to {} (as of {}, read in run {} from file version {})',
            regexp_replace(format('{:,}', old_value), '\.0$', ''), old_as_of, old_ingest_seq, old_version,
            regexp_replace(format('{:,}', value), '\.0$', ''), as_of, ingest_seq, version),
        1,
        calendar_quarter
    FROM changes
    WHERE old_value IS NOT NULL AND value <> old_value

    UNION ALL
    SELECT
        CASE status WHEN 'quarantined' THEN 'workbook_quarantined' ELSE 'reader_finding' END,
        company,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        cells,
        message,
        1,
        NULL
    FROM reader_findings
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
    detail,
    CAST(occurrences AS INTEGER) AS occurrences,
    first_quarter
FROM findings
ORDER BY check_name, company, segment, metric, calendar_quarter, source_kind, cells, detail
