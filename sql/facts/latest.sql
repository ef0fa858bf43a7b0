-- The latest vintage of each fact (company, segment, metric, quarter and
-- source_kind): the latest as_of, then the latest ingestion (a workbook
-- replaced under the same as_of restates it). Where the sources of that
-- vintage disagree (disputes.sql), one documented precedence decides:
--   0. a value read at source_scale 1 that sits about 1,000 or 1,000,000
--      times below a value of the vintage read in a stated scale (in
--      thousands, in millions) loses to it: its sheet's scale was lost;
--   1. a primary statement over a note: a sheet named as a statement
--      (income statement, statement of operations, balance sheet, cash
--      flows) over any other;
--   2. the value most sources agree on, within the precision the coarser
--      of them was written in;
--   3. of agreeing values, the one written most precisely (the finest
--      source_scale: 5,548,123 in thousands over 5,548 in millions);
--   4. the first cell in lineage order (file, sheet, cell), so the choice
--      is stable.
-- The build applies it to each step's vintages, `marginmix query --as-of`
-- to the vintages known on a date; both name their input `vintages`.
SELECT v.*
FROM vintages AS v
LEFT JOIN (
    -- Only where the sources of a vintage disagree (disputes.sql marked
    -- them): how many of its sources agree with each value.
    SELECT company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq,
        source_file, source_sheet, source_cell,
        count(*) OVER (PARTITION BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq, _vote) AS _support,
        source_scale = 1 AND _scaled IS NOT NULL AND value <> 0
            AND (abs(_scaled / value / 1e3 - 1) <= 0.02 OR abs(_scaled / value / 1e6 - 1) <= 0.02) AS _lost_scale
    FROM (
        SELECT *,
            unit || ':' || CAST(round(value / max(source_scale) OVER k) AS VARCHAR) AS _vote,
            -- the value read in the largest stated scale, if any (the first
            -- in lineage order among equals, so that the choice is stable)
            CASE WHEN max(source_scale) OVER k >= 1000 THEN first_value(value) OVER (k
                ORDER BY source_scale DESC, source_file, source_sheet, source_cell
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) END AS _scaled
        FROM vintages
        WHERE disputed
        WINDOW k AS (PARTITION BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq)
    )
) AS s
    USING (company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq, source_file, source_sheet, source_cell)
QUALIFY row_number() OVER (
    PARTITION BY company, segment, metric, calendar_quarter, source_kind
    ORDER BY as_of DESC, ingest_seq DESC, coalesce(s._lost_scale, false), regexp_matches(source_sheet, '(?i)statement|balance sheet|cash flow') DESC,
        coalesce(s._support, 1) DESC, source_scale, source_file, source_sheet, source_cell
) = 1
