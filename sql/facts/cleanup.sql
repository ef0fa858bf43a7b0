-- The step tables, once every step is written.
DROP TABLE IF EXISTS _new;
DROP TABLE IF EXISTS _chunk;
DROP VIEW IF EXISTS _latest;
DROP TABLE IF EXISTS _losers;
DROP TABLE IF EXISTS _prev;
-- This run's facts as read: built into both datasets, and no longer needed
-- (the analyses read the files). Dropped so that its memory goes back.
DROP TABLE IF EXISTS shared.facts_new;
