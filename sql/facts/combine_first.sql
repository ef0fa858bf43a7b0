-- With no previous publication, a step's vintages are its new facts.
DROP TABLE IF EXISTS _chunk;
ALTER TABLE _new RENAME TO _chunk;
