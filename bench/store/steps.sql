-- PostgreSQL import: the time of each key and index build the import runs at commit, one statement at a time, on the
-- rows bench/store/run.sh leaves in trove_store_bench (see bench/RESULTS.md, "Store import: SQLite rows on a writer
-- thread"). Nothing is kept:
--   psql "host=127.0.0.1 port=5433 user=postgres dbname=trove_store_bench" -f bench/store/steps.sql
\timing on
BEGIN;
SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL work_mem = '64MB';
ALTER TABLE interactions DROP CONSTRAINT interactions_user_id_fkey, DROP CONSTRAINT interactions_item_id_fkey;
DROP INDEX ix_interactions_user; DROP INDEX ix_interactions_item;
ALTER TABLE interactions DROP CONSTRAINT interactions_pkey;
ALTER TABLE interactions ADD CONSTRAINT interactions_pkey PRIMARY KEY (id);
CREATE INDEX ix_interactions_user ON interactions(user_id);
CREATE INDEX ix_interactions_item ON interactions(item_id);
ALTER TABLE interactions ADD CONSTRAINT interactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE interactions ADD CONSTRAINT interactions_item_id_fkey FOREIGN KEY (item_id) REFERENCES items(id) DEFERRABLE INITIALLY DEFERRED;
-- alternatives
CREATE INDEX alt_brin_id ON interactions USING brin(id);
CREATE INDEX alt_user_id ON interactions(user_id, id);
ROLLBACK;
