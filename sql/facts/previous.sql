-- The previous publication's vintages of one step.
CREATE OR REPLACE TEMP TABLE _prev AS
SELECT * FROM _prev_vintages
WHERE company BETWEEN $lo AND $hi
  AND ($seg_lo IS NULL OR segment BETWEEN $seg_lo AND $seg_hi)
