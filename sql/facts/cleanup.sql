-- The step tables, once every step is written.
DROP TABLE IF EXISTS _new;
DROP TABLE IF EXISTS _chunk;
DROP VIEW IF EXISTS _latest;
DROP TABLE IF EXISTS _losers;
DROP TABLE IF EXISTS _prev;
