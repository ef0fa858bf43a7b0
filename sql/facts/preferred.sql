-- What the analyses read for pairs with estimates: per company, segment,
-- metric and quarter, the reported value where both a reported and an
-- estimated one exist (_latest holds one row of each kind at most).
INSERT INTO _preferred_estimated
SELECT * FROM _latest
WHERE (company, segment) IN (SELECT (company, segment) FROM _latest WHERE source_kind <> 'reported')
  AND (source_kind = 'reported' OR (company, segment, metric, calendar_quarter) NOT IN (
      SELECT (company, segment, metric, calendar_quarter) FROM _latest WHERE source_kind = 'reported'))
