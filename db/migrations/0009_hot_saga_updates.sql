-- A saga row is updated at every step (state, version, deadline, current step). An update that
-- changes no indexed column is HOT: no new index entries, and the old version is pruned within its
-- page without a vacuum. deadline_at changed at every step and was indexed; the timeout scanner
-- now finds sagas past their deadline among the unfinished ones through the status index.
DROP INDEX "saga"."instances_deadline_idx";
