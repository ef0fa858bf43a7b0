-- facts_preferred, what the analyses read: facts itself for every company
-- and segment without estimates (most of them: investor-relations
-- workbooks report), the preferred rows for the few with estimates.
CREATE OR REPLACE VIEW facts_preferred AS
SELECT * FROM facts WHERE (company, segment) NOT IN (SELECT (company, segment) FROM _estimated)
UNION ALL
SELECT * FROM _preferred_estimated
