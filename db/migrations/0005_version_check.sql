-- Lets one statement of a pipelined transaction abort it: the saga engine sends its version-checked
-- update, its inserts and COMMIT in one round trip, so a version conflict must fail inside PostgreSQL
-- (SQLSTATE 40001, serialization_failure) for the COMMIT to become a ROLLBACK.
CREATE FUNCTION sagaport_expect_rows(expected integer, actual bigint, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF actual <> expected THEN
    RAISE EXCEPTION 'version conflict: % of % % moved on meanwhile', expected - actual, expected, what
      USING ERRCODE = 'serialization_failure';
  END IF;
END
$$;
