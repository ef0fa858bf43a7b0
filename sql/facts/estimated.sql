-- The company and segment pairs of a step with an estimate among their
-- latest facts. Per segment, not per company: a company split into steps by
-- segment has estimates in some steps only.
INSERT INTO _estimated
SELECT DISTINCT company, segment FROM _latest WHERE source_kind <> 'reported'
