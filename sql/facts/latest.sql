-- The latest vintage of each fact (company, segment, metric, quarter and
-- source_kind): the latest as_of, then the latest ingestion (a workbook
-- replaced under the same as_of restates it); within one vintage the first
-- cell in lineage order wins, so the choice is stable. The build applies it
-- to each step's vintages, `marginmix query --as-of` to the vintages known
-- on a date; both name their input `vintages`.
SELECT * FROM vintages
QUALIFY row_number() OVER (
    PARTITION BY company, segment, metric, calendar_quarter, source_kind
    ORDER BY as_of DESC, ingest_seq DESC, source_file, source_sheet, source_cell
) = 1
